-- Bulk operations (README "Bulk operations"): the operation and the executions it acts on, fixed
-- when it is started.
CREATE TYPE "BulkOperationKind" AS ENUM ('CANCEL', 'RETRY', 'DELETE');

CREATE TYPE "BulkOperationStatus" AS ENUM ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');

CREATE TABLE "BulkOperation" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenantId" UUID NOT NULL,
    "kind" "BulkOperationKind" NOT NULL,
    "status" "BulkOperationStatus" NOT NULL DEFAULT 'PENDING',
    "filter" JSONB NOT NULL,
    "reason" TEXT,
    "total" INTEGER NOT NULL,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "createdByKind" "ActorKind" NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdByName" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMPTZ(3),
    "error" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMPTZ(3),

    CONSTRAINT "BulkOperation_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "BulkOperationTarget" (
    "operationId" UUID NOT NULL,
    "executionId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "outcome" TEXT,
    "error" TEXT,
    "resultId" UUID,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "BulkOperationTarget_pkey" PRIMARY KEY ("operationId","executionId")
);

CREATE INDEX "BulkOperation_tenantId_createdAt_id_idx" ON "BulkOperation"("tenantId", "createdAt" DESC, "id");

CREATE INDEX "BulkOperation_status_leaseExpiresAt_idx" ON "BulkOperation"("status", "leaseExpiresAt");

ALTER TABLE "BulkOperation" ADD CONSTRAINT "BulkOperation_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "BulkOperationTarget" ADD CONSTRAINT "BulkOperationTarget_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "BulkOperation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
