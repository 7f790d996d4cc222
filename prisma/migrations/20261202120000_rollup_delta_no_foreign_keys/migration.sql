-- Every state change appends delta rows. A foreign key made each append lock the row of the
-- workflow (FOR KEY SHARE), so concurrent runs of one workflow shared that lock through
-- multixacts. The compactor drops deltas whose workflow is gone. (No semicolons in comments
-- here: the migration is split into statements on them.)
ALTER TABLE "ExecutionRollupDelta" DROP CONSTRAINT "ExecutionRollupDelta_workflowId_fkey";
ALTER TABLE "StepRollupDelta" DROP CONSTRAINT "StepRollupDelta_workflowId_fkey";
