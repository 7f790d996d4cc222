// The execution rollup (README "Statistics"): counts per tenant, workflow, UTC creation day, status
// and trigger source, so that counts and statistics do not grow with history.
//
// Every status change of an execution appends two rows to "ExecutionRollupDelta" in the statement
// that makes the change: -1 for the status it had, +1 for the one it gets. Appending, not
// upserting a counter: two group commits that finish runs of one workflow on one day would
// otherwise queue on the same counter row (and deadlock when they lock two rows in opposite
// orders). Workers fold the deltas into the daily and all-time rollups every sweep (compactSql,
// one compactor at a time); a reader adds the deltas not folded yet in the same statement, so
// what it counts is exact whenever it reads.
//
// Every builder returns SQL text only; the aliases it names are the caller's.

/**
 * The histogram bucket of a duration in ms: -1 none; 0 for 0 ms; b >= 1 for [2^((b-1)/16), 2^(b/16)),
 * so that any two durations in one bucket are within 4.4% of each other.
 */
export const durationBucket = (ms: string) =>
  `(CASE WHEN ${ms} IS NULL THEN -1 WHEN ${ms} <= 0 THEN 0 ELSE floor(16 * ln(${ms}::float8) / ln(2))::int + 1 END)`;

const DELTA_INSERT = `INSERT INTO "ExecutionRollupDelta"
    ("tenantId", "workflowId", day, status, "triggerSource", delta, "durationMs", bucket)`;

/** The UTC day of an execution's createdAt, as stored in the rollups. */
export const creationDay = (createdAt: string) => `(${createdAt} AT TIME ZONE 'UTC')::date`;

/** +1 for each execution row of `alias` (a CTE of created executions). */
export function createdDeltas(alias: string): string {
  return `${DELTA_INSERT}
  SELECT ${alias}."tenantId", ${alias}."workflowId", ${creationDay(`${alias}."createdAt"`)}, ${alias}.status,
    ${alias}."triggerSource", 1, ${alias}."durationMs", ${durationBucket(`${alias}."durationMs"`)}
  FROM ${alias}`;
}

/** -1 for each execution row of `alias` (a CTE of deleted executions, as they were). */
export function removedDeltas(alias: string): string {
  return `${DELTA_INSERT}
  SELECT ${alias}."tenantId", ${alias}."workflowId", ${creationDay(`${alias}."createdAt"`)}, ${alias}.status,
    ${alias}."triggerSource", -1, ${alias}."durationMs", ${durationBucket(`${alias}."durationMs"`)}
  FROM ${alias}`;
}

/**
 * -1 for the old status and +1 for the new one of each execution whose status changed. `from` is a
 * FROM list that names the execution as this statement found it `o` ("Execution" itself: every
 * part of one statement reads the same snapshot, so `o` is the row before the statement's UPDATE);
 * `status` and `durationMs` are the new values. A refused guard leaves `from` empty, so nothing
 * is counted for a change that did not happen.
 */
export function changedDeltas(from: string, next: { status: string; durationMs: string }): string {
  return `${DELTA_INSERT}
  SELECT o."tenantId", o."workflowId", ${creationDay(`o."createdAt"`)}, v.status, o."triggerSource", v.delta, v."durationMs",
    ${durationBucket(`v."durationMs"`)}
  FROM ${from}
  CROSS JOIN LATERAL (VALUES (o.status, -1, o."durationMs"), (${next.status}, 1, ${next.durationMs}))
    AS v(status, delta, "durationMs")
  WHERE (o.status, o."durationMs") IS DISTINCT FROM (${next.status}, ${next.durationMs})`;
}

// Steps: only COMPLETED and FAILED steps are counted (what failingSteps reads), per workflow, step
// type and key. Cancelling never touches a step in either status, so only create, commit and
// deleteExecution append step deltas.
const STEP_DELTA_INSERT = `INSERT INTO "StepRollupDelta" ("tenantId", "workflowId", type, key, status, delta, "durationMs", bucket)`;
const COUNTED_STEP = (status: string) => `${status} IN ('COMPLETED', 'FAILED')`;

/** +1 for each counted step of `alias` (a CTE of inserted steps with their execution's workflowId as "workflowId"). */
export function createdStepDeltas(alias: string): string {
  return `${STEP_DELTA_INSERT}
  SELECT ${alias}."tenantId", ${alias}."workflowId", ${alias}.type, ${alias}.key, ${alias}.status, 1, ${alias}."durationMs",
    ${durationBucket(`${alias}."durationMs"`)}
  FROM ${alias} WHERE ${COUNTED_STEP(`${alias}.status`)}`;
}

/** -1 for each counted step of the executions in `alias` (a CTE of deleted executions). */
export function removedStepDeltas(alias: string): string {
  return `${STEP_DELTA_INSERT}
  SELECT os."tenantId", ${alias}."workflowId", os.type, os.key, os.status, -1, os."durationMs", ${durationBucket(`os."durationMs"`)}
  FROM ${alias} JOIN "Step" os ON os."executionId" = ${alias}.id AND os."tenantId" = ${alias}."tenantId"
  WHERE ${COUNTED_STEP("os.status")}`;
}

/**
 * -1 for the old and +1 for the new status of each step that changed, where counted: `from` names
 * the step as this statement found it `os` and its execution `o` (see changedDeltas).
 */
export function changedStepDeltas(from: string, next: { status: string; durationMs: string }): string {
  return `${STEP_DELTA_INSERT}
  SELECT os."tenantId", o."workflowId", os.type, os.key, v.status, v.delta, v."durationMs", ${durationBucket(`v."durationMs"`)}
  FROM ${from}
  CROSS JOIN LATERAL (VALUES (os.status, -1, os."durationMs"), (${next.status}, 1, ${next.durationMs}))
    AS v(status, delta, "durationMs")
  WHERE (os.status, os."durationMs") IS DISTINCT FROM (${next.status}, ${next.durationMs}) AND ${COUNTED_STEP("v.status")}`;
}

/** Only one compactor folds at a time: two would upsert the same rollup rows (a wait, or a deadlock). */
const COMPACT_LOCK = 7_357_001;

/**
 * Folds up to $1 of the oldest execution deltas into the daily and all-time rollups (and up to $1
 * step deltas into the step rollup), and deletes them (those of a deleted workflow are dropped:
 * the deltas have no foreign key, so that appending one locks nothing), in one
 * statement: a reader sees a delta either unfolded or folded, never both or neither. Returns how
 * many were folded (0 while another worker is folding).
 */
export const compactSql = `/* engine:rollup */
  WITH moved AS (
    DELETE FROM "ExecutionRollupDelta" d
    WHERE d.id IN (
      SELECT id FROM "ExecutionRollupDelta" WHERE (SELECT pg_try_advisory_xact_lock(${COMPACT_LOCK})) ORDER BY id LIMIT $1)
    RETURNING d.*
  ), kept AS (
    SELECT m.* FROM moved m WHERE EXISTS (SELECT FROM "Workflow" w WHERE w.id = m."workflowId")
  ), daily AS (
    INSERT INTO "ExecutionDailyRollup" AS t
      ("tenantId", day, "workflowId", status, "triggerSource", count, "durationCount", "durationSumMs")
    SELECT "tenantId", day, "workflowId", status, "triggerSource", sum(delta),
      coalesce(sum(delta) FILTER (WHERE "durationMs" IS NOT NULL), 0), coalesce(sum(delta::bigint * "durationMs"), 0)
    FROM kept GROUP BY 1, 2, 3, 4, 5 HAVING sum(delta) <> 0 OR sum(delta::bigint * "durationMs") <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ("tenantId", day, "workflowId", status, "triggerSource") DO UPDATE SET count = t.count + excluded.count,
      "durationCount" = t."durationCount" + excluded."durationCount",
      "durationSumMs" = t."durationSumMs" + excluded."durationSumMs"
  ), total AS (
    INSERT INTO "ExecutionTotalRollup" AS t ("tenantId", "workflowId", status, "triggerSource", bucket, count, "durationSumMs")
    SELECT "tenantId", "workflowId", status, "triggerSource", bucket, sum(delta),
      coalesce(sum(delta::bigint * "durationMs"), 0)
    FROM kept GROUP BY 1, 2, 3, 4, 5 HAVING sum(delta) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ("tenantId", "workflowId", status, "triggerSource", bucket) DO UPDATE SET count = t.count + excluded.count,
      "durationSumMs" = t."durationSumMs" + excluded."durationSumMs"
  ), moved_steps AS (
    DELETE FROM "StepRollupDelta" d
    WHERE d.id IN (
      SELECT id FROM "StepRollupDelta" WHERE (SELECT pg_try_advisory_xact_lock(${COMPACT_LOCK})) ORDER BY id LIMIT $1)
    RETURNING d.*
  ), step_total AS (
    INSERT INTO "StepTotalRollup" AS t ("tenantId", "workflowId", type, key, status, bucket, count, "durationSumMs")
    SELECT "tenantId", "workflowId", type, key, status, bucket, sum(delta), coalesce(sum(delta::bigint * "durationMs"), 0)
    FROM moved_steps m WHERE EXISTS (SELECT FROM "Workflow" w WHERE w.id = m."workflowId")
    GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(delta) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ("tenantId", "workflowId", type, key, status, bucket) DO UPDATE SET count = t.count + excluded.count,
      "durationSumMs" = t."durationSumMs" + excluded."durationSumMs"
  )
  SELECT ((SELECT count(*) FROM moved) + (SELECT count(*) FROM moved_steps))::int AS folded`;

/**
 * Rebuilds both rollups of every tenant from the Execution rows and drops the deltas: the
 * migration's backfill, and the benchmark's after it bulk-inserts history. Only while no engine
 * writes (a change committed meanwhile would be counted twice or not at all).
 */
export const REBUILD_ROLLUP_SQL = `DELETE FROM "ExecutionRollupDelta";
DELETE FROM "ExecutionDailyRollup";
DELETE FROM "ExecutionTotalRollup";
INSERT INTO "ExecutionDailyRollup"
  ("tenantId", day, "workflowId", status, "triggerSource", count, "durationCount", "durationSumMs")
SELECT "tenantId", ${creationDay(`"createdAt"`)}, "workflowId", status, "triggerSource", count(*), count("durationMs"),
  coalesce(sum("durationMs"::bigint), 0)
FROM "Execution" GROUP BY 1, 2, 3, 4, 5;
INSERT INTO "ExecutionTotalRollup" ("tenantId", "workflowId", status, "triggerSource", bucket, count, "durationSumMs")
SELECT "tenantId", "workflowId", status, "triggerSource", ${durationBucket(`"durationMs"`)}, count(*),
  coalesce(sum("durationMs"::bigint), 0)
FROM "Execution" GROUP BY 1, 2, 3, 4, 5;
DELETE FROM "StepRollupDelta";
DELETE FROM "StepTotalRollup";
INSERT INTO "StepTotalRollup" ("tenantId", "workflowId", type, key, status, bucket, count, "durationSumMs")
SELECT s."tenantId", e."workflowId", s.type, s.key, s.status, ${durationBucket(`s."durationMs"`)}, count(*),
  coalesce(sum(s."durationMs"::bigint), 0)
FROM "Step" s JOIN "Execution" e ON e.id = s."executionId"
WHERE s.status IN ('COMPLETED', 'FAILED')
GROUP BY 1, 2, 3, 4, 5, 6;
`;
