-- Pause and resume, schedules and the run context (README "Pause and resume", "Schedules", "Run context").
-- AlterEnum
ALTER TYPE "ExecutionStatus" ADD VALUE 'PAUSED';

-- AlterEnum
ALTER TYPE "ExecutionEventType" ADD VALUE 'EXECUTION_PAUSED';
ALTER TYPE "ExecutionEventType" ADD VALUE 'EXECUTION_RESUMED';
ALTER TYPE "ExecutionEventType" ADD VALUE 'CONTEXT_UPDATED';

-- AlterTable
ALTER TABLE "Execution" ADD COLUMN     "context" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "pauseReason" TEXT,
ADD COLUMN     "pauseRequestedAt" TIMESTAMPTZ(3),
ADD COLUMN     "pausedAt" TIMESTAMPTZ(3),
ADD COLUMN     "pausedBy" TEXT,
ADD COLUMN     "pausedMs" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "nextRunAt" TIMESTAMPTZ(3),
ADD COLUMN     "schedule" JSONB;

-- CreateIndex
CREATE INDEX "Workflow_nextRunAt_idx" ON "Workflow"("nextRunAt");
