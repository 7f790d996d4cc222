// Reading the execution rollup (written by the engine's store, engine/store/rollup.ts): the folded
// rows plus the deltas not folded yet, in one statement, so that every count is exact at the
// moment of the read. See README "Statistics" for what is exact and what is approximate.
import { Prisma } from "@prisma/client";
import { enumIn, uuidEquals, uuidIn } from "./sql.ts";

/** Which rollup rows count; every field optional (absent: no condition). Columns of alias `r`. */
export type RollupKeys = {
  workflowId?: string | null;
  workflowIds?: readonly string[] | null;
  status?: readonly string[] | null;
  triggerSource?: readonly string[] | null;
};

/** The tenant and the conditions of `keys` over `alias` (a rollup table or "Execution"), joined by AND. */
export function keysWhere(alias: string, tenantId: string, keys: RollupKeys): Prisma.Sql {
  const c = (column: string) => Prisma.raw(`${alias}."${column}"`);
  const parts = [uuidEquals(c("tenantId"), tenantId)];
  if (keys.workflowId != null) parts.push(uuidEquals(c("workflowId"), keys.workflowId));
  if (keys.workflowIds != null) parts.push(uuidIn(c("workflowId"), keys.workflowIds));
  if (keys.status != null) parts.push(enumIn(c("status"), "ExecutionStatus", keys.status));
  if (keys.triggerSource != null) parts.push(enumIn(c("triggerSource"), "TriggerSource", keys.triggerSource));
  return Prisma.join(parts, " AND ");
}

/**
 * All-time rows `(workflowId, status, triggerSource, bucket, n, durationSumMs)`: the folded
 * ExecutionTotalRollup plus the unfolded deltas (n may be negative for a delta; sums are exact).
 */
export function totalRows(tenantId: string, keys: RollupKeys): Prisma.Sql {
  return Prisma.sql`
    SELECT r."workflowId", r.status, r."triggerSource", r.bucket, r.count::bigint AS n, r."durationSumMs"
    FROM "ExecutionTotalRollup" r WHERE ${keysWhere("r", tenantId, keys)}
    UNION ALL
    SELECT r."workflowId", r.status, r."triggerSource", r.bucket, r.delta::bigint, r.delta::bigint * coalesce(r."durationMs", 0)
    FROM "ExecutionRollupDelta" r WHERE ${keysWhere("r", tenantId, keys)}`;
}

/**
 * All-time rows `(type, key, status, bucket, n, dur)` of COMPLETED and FAILED steps: the folded
 * StepTotalRollup plus the unfolded step deltas.
 */
export function stepTotalRows(tenantId: string, workflowId: string | null | undefined): Prisma.Sql {
  const keys = { workflowId };
  return Prisma.sql`
    SELECT r.type, r.key, r.status, r.bucket, r.count::bigint AS n, r."durationSumMs" AS dur
    FROM "StepTotalRollup" r WHERE ${keysWhere("r", tenantId, keys)}
    UNION ALL
    SELECT r.type, r.key, r.status, r.bucket, r.delta::bigint, r.delta::bigint * coalesce(r."durationMs", 0)
    FROM "StepRollupDelta" r WHERE ${keysWhere("r", tenantId, keys)}`;
}

/** Whole UTC days `[first, end)` (either side open when null), as YYYY-MM-DD dates. */
export type DayRange = { first: Prisma.Sql | null; end: Prisma.Sql | null };

/**
 * Daily rows `(day, workflowId, status, triggerSource, n, durationCount, durationSumMs)` of the days
 * in `days`: the folded ExecutionDailyRollup plus the unfolded deltas of those days.
 */
export function dailyRows(tenantId: string, keys: RollupKeys, days: DayRange): Prisma.Sql {
  const range = Prisma.sql`${days.first ? Prisma.sql`AND r.day >= ${days.first}` : Prisma.empty}
    ${days.end ? Prisma.sql`AND r.day < ${days.end}` : Prisma.empty}`;
  return Prisma.sql`
    SELECT r.day, r."workflowId", r.status, r."triggerSource", r.count::bigint AS n, r."durationCount"::bigint AS "durationCount",
      r."durationSumMs"
    FROM "ExecutionDailyRollup" r WHERE ${keysWhere("r", tenantId, keys)} ${range}
    UNION ALL
    SELECT r.day, r."workflowId", r.status, r."triggerSource", r.delta::bigint,
      CASE WHEN r."durationMs" IS NULL THEN 0 ELSE r.delta END::bigint, r.delta::bigint * coalesce(r."durationMs", 0)
    FROM "ExecutionRollupDelta" r WHERE ${keysWhere("r", tenantId, keys)} ${range}`;
}

/**
 * percentile_cont(p) over a histogram, as aggregate columns over rows `(mean, upto, count)` ordered
 * by bucket: `mean` is the mean duration of the row's bucket within the group (NULL when the bucket
 * is empty), `upto` the running count of durations up to and including that bucket, `count` the
 * group's total. Each of the two order statistics percentile_cont interpolates between is replaced
 * by the mean of its bucket, whose durations are all within 4.4% of each other (2^(1/16)): the
 * result is within 4.4% of the exact percentile, and exact when a bucket holds one distinct value.
 * NULL when the group has no durations.
 */
export function histogramPercentile(p: number, cols: { mean: string; upto: string; count: string }): Prisma.Sql {
  const mean = Prisma.raw(cols.mean);
  const upto = Prisma.raw(cols.upto);
  const count = Prisma.raw(cols.count);
  // `count` is the same on every row of a group: per row inside FILTER, aggregated outside it.
  // Bucket means rise with the bucket, so the smallest mean past a rank is that rank's bucket's.
  const rowAt = Prisma.sql`(${p}::float8 * (${count} - 1))`;
  const at = Prisma.sql`(${p}::float8 * (max(${count}) - 1))`;
  const lo = Prisma.sql`min(${mean}) FILTER (WHERE ${upto} > floor(${rowAt}))`;
  const hi = Prisma.sql`min(${mean}) FILTER (WHERE ${upto} > ceil(${rowAt}))`;
  return Prisma.sql`(CASE WHEN max(${count}) > 0 THEN ${lo} + (${at} - floor(${at})) * (${hi} - ${lo}) END)`;
}

/**
 * The window columns histogramPercentile reads, over rows `h` of (partition..., status, bucket, n,
 * dur) with one row per status and bucket: mean, upto, durations.
 */
export function histogramWindows(partition: string): Prisma.Sql {
  const by = Prisma.raw(partition);
  return Prisma.sql`
    sum(h.dur) FILTER (WHERE h.bucket >= 0) OVER (PARTITION BY ${by}, h.bucket)::float8
      / NULLIF(sum(h.n) FILTER (WHERE h.bucket >= 0) OVER (PARTITION BY ${by}, h.bucket), 0) AS mean,
    sum(h.n) FILTER (WHERE h.bucket >= 0) OVER (PARTITION BY ${by} ORDER BY h.bucket) AS upto,
    sum(h.n) FILTER (WHERE h.bucket >= 0) OVER (PARTITION BY ${by}) AS durations`;
}
