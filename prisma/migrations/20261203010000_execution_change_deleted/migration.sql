-- A deletion of an execution is a change too: its row (large JSON columns left out) is kept with
-- the change, so that live lists can tell which lists it leaves (read/list-changes/changes-sql.ts).
ALTER TABLE "ExecutionChange" ADD COLUMN "deleted" JSONB;

-- The facts of a deleted run, looked up for its earlier changes.
CREATE INDEX "ExecutionChange_tenantId_executionId_idx" ON "ExecutionChange"("tenantId", "executionId");
