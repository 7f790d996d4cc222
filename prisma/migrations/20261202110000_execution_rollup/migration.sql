-- CreateTable
CREATE TABLE "ExecutionRollupDelta" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "status" "ExecutionStatus" NOT NULL,
    "triggerSource" "TriggerSource" NOT NULL,
    "delta" INTEGER NOT NULL,
    "durationMs" INTEGER,
    "bucket" INTEGER NOT NULL,

    CONSTRAINT "ExecutionRollupDelta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExecutionDailyRollup" (
    "tenantId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "status" "ExecutionStatus" NOT NULL,
    "triggerSource" "TriggerSource" NOT NULL,
    "count" INTEGER NOT NULL,
    "durationCount" INTEGER NOT NULL,
    "durationSumMs" BIGINT NOT NULL,

    CONSTRAINT "ExecutionDailyRollup_pkey" PRIMARY KEY ("tenantId","day","workflowId","status","triggerSource")
);

-- CreateTable
CREATE TABLE "ExecutionTotalRollup" (
    "tenantId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "status" "ExecutionStatus" NOT NULL,
    "triggerSource" "TriggerSource" NOT NULL,
    "bucket" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "durationSumMs" BIGINT NOT NULL,

    CONSTRAINT "ExecutionTotalRollup_pkey" PRIMARY KEY ("tenantId","workflowId","status","triggerSource","bucket")
);

-- CreateIndex
CREATE INDEX "ExecutionRollupDelta_tenantId_day_idx" ON "ExecutionRollupDelta"("tenantId", "day");

-- AddForeignKey
ALTER TABLE "ExecutionRollupDelta" ADD CONSTRAINT "ExecutionRollupDelta_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExecutionDailyRollup" ADD CONSTRAINT "ExecutionDailyRollup_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExecutionTotalRollup" ADD CONSTRAINT "ExecutionTotalRollup_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "StepRollupDelta" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL,
    "delta" INTEGER NOT NULL,
    "durationMs" INTEGER,
    "bucket" INTEGER NOT NULL,

    CONSTRAINT "StepRollupDelta_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepTotalRollup" (
    "tenantId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL,
    "bucket" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "durationSumMs" BIGINT NOT NULL,

    CONSTRAINT "StepTotalRollup_pkey" PRIMARY KEY ("tenantId","workflowId","type","key","status","bucket")
);

-- CreateIndex
CREATE INDEX "StepRollupDelta_tenantId_idx" ON "StepRollupDelta"("tenantId");

-- AddForeignKey
ALTER TABLE "StepRollupDelta" ADD CONSTRAINT "StepRollupDelta_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepTotalRollup" ADD CONSTRAINT "StepTotalRollup_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: the rollups of every existing execution (REBUILD_ROLLUP_SQL in src/engine/store/rollup.ts;
-- test/unit/rollup-migration.test.ts keeps the two equal).
DELETE FROM "ExecutionRollupDelta";
DELETE FROM "ExecutionDailyRollup";
DELETE FROM "ExecutionTotalRollup";
INSERT INTO "ExecutionDailyRollup"
  ("tenantId", day, "workflowId", status, "triggerSource", count, "durationCount", "durationSumMs")
SELECT "tenantId", ("createdAt" AT TIME ZONE 'UTC')::date, "workflowId", status, "triggerSource", count(*), count("durationMs"),
  coalesce(sum("durationMs"::bigint), 0)
FROM "Execution" GROUP BY 1, 2, 3, 4, 5;
INSERT INTO "ExecutionTotalRollup" ("tenantId", "workflowId", status, "triggerSource", bucket, count, "durationSumMs")
SELECT "tenantId", "workflowId", status, "triggerSource", (CASE WHEN "durationMs" IS NULL THEN -1 WHEN "durationMs" <= 0 THEN 0 ELSE floor(16 * ln("durationMs"::float8) / ln(2))::int + 1 END), count(*),
  coalesce(sum("durationMs"::bigint), 0)
FROM "Execution" GROUP BY 1, 2, 3, 4, 5;
DELETE FROM "StepRollupDelta";
DELETE FROM "StepTotalRollup";
INSERT INTO "StepTotalRollup" ("tenantId", "workflowId", type, key, status, bucket, count, "durationSumMs")
SELECT s."tenantId", e."workflowId", s.type, s.key, s.status, (CASE WHEN s."durationMs" IS NULL THEN -1 WHEN s."durationMs" <= 0 THEN 0 ELSE floor(16 * ln(s."durationMs"::float8) / ln(2))::int + 1 END), count(*),
  coalesce(sum(s."durationMs"::bigint), 0)
FROM "Step" s JOIN "Execution" e ON e.id = s."executionId"
WHERE s.status IN ('COMPLETED', 'FAILED')
GROUP BY 1, 2, 3, 4, 5, 6;
