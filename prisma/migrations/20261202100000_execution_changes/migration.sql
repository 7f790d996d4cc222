-- CreateTable
CREATE TABLE "ExecutionChange" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" UUID NOT NULL,
    "executionId" UUID NOT NULL,
    "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "previousStatus" "ExecutionStatus",
    "status" "ExecutionStatus" NOT NULL,
    "previousErrorMessage" TEXT,
    "errorMessage" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExecutionChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ExecutionChange_tenantId_xid_idx" ON "ExecutionChange"("tenantId", "xid");

-- CreateIndex
CREATE INDEX "ExecutionChange_at_idx" ON "ExecutionChange" USING BRIN ("at");
