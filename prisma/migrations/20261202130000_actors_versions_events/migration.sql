-- Actors (who started and cancelled a run, who saved a version), correlation ids, event triggers
-- and workflow templates (issue 10).

-- CreateEnum
CREATE TYPE "ActorKind" AS ENUM ('USER', 'API_KEY', 'SYSTEM');

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN "triggerEvent" TEXT;

-- AlterTable
ALTER TABLE "WorkflowVersion" ADD COLUMN "createdByKind" "ActorKind",
ADD COLUMN "createdById" TEXT,
ADD COLUMN "createdByName" TEXT;

-- AlterTable: a constant default is a catalog change, no table rewrite.
ALTER TABLE "Execution" ADD COLUMN "externalId" TEXT,
ADD COLUMN "startedByKind" "ActorKind" NOT NULL DEFAULT 'SYSTEM',
ADD COLUMN "startedById" TEXT NOT NULL DEFAULT 'system',
ADD COLUMN "startedByName" TEXT,
ADD COLUMN "cancelledByKind" "ActorKind",
ADD COLUMN "cancelledByName" TEXT;

-- Cancellations recorded before: "cancelledBy" held the principal's name ("api-key:<name>" for
-- an API key, a JWT subject, or "dev").
UPDATE "Execution" SET "cancelledByKind" = 'API_KEY', "cancelledByName" = substr("cancelledBy", 9)
WHERE "cancelledBy" LIKE 'api-key:%';
UPDATE "Execution" SET "cancelledByKind" = 'USER', "cancelledByName" = "cancelledBy"
WHERE "cancelledBy" IS NOT NULL AND "cancelledByKind" IS NULL;

-- Workflows already listening to an event (none could before this migration, but keep it exact).
UPDATE "Workflow" w SET "triggerEvent" = v.definition -> 'trigger' ->> 'event'
FROM "WorkflowVersion" v WHERE v."workflowId" = w.id AND v.version = w.version AND v.definition -> 'trigger' ? 'event';

-- CreateTable
CREATE TABLE "WorkflowTemplate" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenantId" UUID,
    "slug" TEXT,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "category" TEXT,
    "tags" TEXT[],
    "definition" JSONB NOT NULL,
    "usageCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkflowTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EventEmission" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenantId" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "executionIds" UUID[],
    "skipped" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventEmission_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Workflow_tenantId_triggerEvent_idx" ON "Workflow"("tenantId", "triggerEvent");

-- CreateIndex
CREATE INDEX "Execution_tenantId_externalId_idx" ON "Execution"("tenantId", "externalId");

-- CreateIndex
CREATE INDEX "Execution_tenantId_startedById_idx" ON "Execution"("tenantId", "startedById");

-- CreateIndex
CREATE UNIQUE INDEX "WorkflowTemplate_slug_key" ON "WorkflowTemplate"("slug");

-- CreateIndex
CREATE INDEX "WorkflowTemplate_tenantId_name_idx" ON "WorkflowTemplate"("tenantId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "EventEmission_tenantId_idempotencyKey_key" ON "EventEmission"("tenantId", "idempotencyKey");

-- AddForeignKey
ALTER TABLE "WorkflowTemplate" ADD CONSTRAINT "WorkflowTemplate_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EventEmission" ADD CONSTRAINT "EventEmission_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
