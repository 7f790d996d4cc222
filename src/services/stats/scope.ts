// What every statistic filters on, as a SQL fragment over `"Execution" e`, and the argument
// checks the statistics share. Values are always bound parameters; identifiers never come from
// callers.
import { Prisma } from "@prisma/client";
import { BadUserInputError } from "../../errors.ts";
import { histogramPercentile, histogramWindows, totalRows } from "../../read/rollup.ts";
import { instant, uuidEquals } from "../../read/sql.ts";

export { instant, isUuid, uuidEquals, uuidIn } from "../../read/sql.ts";

/**
 * from is inclusive and to exclusive, both on Execution.createdAt. The tenant is not part of a
 * scope: it always comes from the tenant-scoped client the statistic runs on (db.$tenantId).
 */
export type StatsScope = { workflowId?: string | null; from?: Date | null; to?: Date | null };

/** The createdAt range of a scope, over `"Execution" e`. */
export function rangeWhere(scope: Pick<StatsScope, "from" | "to">): Prisma.Sql {
  return Prisma.sql`${scope.from ? Prisma.sql`AND e."createdAt" >= ${instant(scope.from)}` : Prisma.empty}
    ${scope.to ? Prisma.sql`AND e."createdAt" < ${instant(scope.to)}` : Prisma.empty}`;
}

/** Every filter of a scope over `"Execution" e`: tenant, workflow, createdAt range. */
export function scopeWhere(tenantId: string, scope: StatsScope): Prisma.Sql {
  return Prisma.sql`${uuidEquals(Prisma.sql`e."tenantId"`, tenantId)}
    ${scope.workflowId != null ? Prisma.sql`AND ${uuidEquals(Prisma.sql`e."workflowId"`, scope.workflowId)}` : Prisma.empty}
    ${rangeWhere(scope)}`;
}

export function assertIntegerIn(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/**
 * Counting conventions shared by every statistic:
 * - finished = COMPLETED + FAILED + CANCELLED + TIMED_OUT (the terminal statuses);
 * - failed = FAILED only: TIMED_OUT and CANCELLED count as finished but not as failed, so that
 *   "failed" means the same in every statistic (and matches the FAILED enum value a client sees);
 * - durations are over runs with a durationMs (set when a run finishes); avg and percentiles skip NULLs.
 */
export const FINISHED_STATUS = (alias: string) =>
  Prisma.sql`${Prisma.raw(alias)}.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')`;
export const FINISHED = FINISHED_STATUS("e");

/**
 * Per-workflow aggregate columns over `"Execution" e` (total, completed, failed, successRate,
 * failureRate, avgDurationMs, p95DurationMs); for use with GROUP BY.
 */
export const WORKFLOW_AGGREGATES = Prisma.sql`
  count(*)::int AS total,
  count(*) FILTER (WHERE e.status = 'COMPLETED')::int AS completed,
  count(*) FILTER (WHERE e.status = 'FAILED')::int AS failed,
  (count(*) FILTER (WHERE e.status = 'COMPLETED'))::float8 / NULLIF(count(*) FILTER (WHERE ${FINISHED}), 0) AS "successRate",
  (count(*) FILTER (WHERE e.status = 'FAILED'))::float8 / NULLIF(count(*) FILTER (WHERE ${FINISHED}), 0) AS "failureRate",
  avg(e."durationMs")::float8 AS "avgDurationMs",
  percentile_cont(0.95) WITHIN GROUP (ORDER BY e."durationMs") AS "p95DurationMs"`;

/**
 * A SELECT of one row per workflow with runs in scope: "workflowId" and the WORKFLOW_AGGREGATES
 * columns. Without from/to, from the all-time rollup (read/rollup.ts: counts, rates and the mean
 * exact, p95 from its duration histogram within 4.4%); with them, from the runs in range (exact).
 */
export function workflowAggregates(tenantId: string, scope: StatsScope): Prisma.Sql {
  if (scope.from != null || scope.to != null) {
    return Prisma.sql`SELECT e."workflowId", ${WORKFLOW_AGGREGATES}
      FROM "Execution" e WHERE ${scopeWhere(tenantId, scope)} GROUP BY e."workflowId"`;
  }
  const keys = scope.workflowId != null ? { workflowId: scope.workflowId } : {};
  const finished = Prisma.sql`sum(h.n) FILTER (WHERE ${FINISHED_STATUS("h")})`;
  return Prisma.sql`
    SELECT h."workflowId",
      sum(h.n)::int AS total,
      coalesce(sum(h.n) FILTER (WHERE h.status = 'COMPLETED'), 0)::int AS completed,
      coalesce(sum(h.n) FILTER (WHERE h.status = 'FAILED'), 0)::int AS failed,
      coalesce(sum(h.n) FILTER (WHERE h.status = 'COMPLETED'), 0)::float8 / NULLIF(${finished}, 0) AS "successRate",
      coalesce(sum(h.n) FILTER (WHERE h.status = 'FAILED'), 0)::float8 / NULLIF(${finished}, 0) AS "failureRate",
      sum(h.dur)::float8 / NULLIF(max(h.durations), 0) AS "avgDurationMs",
      ${histogramPercentile(0.95, { mean: "h.mean", upto: "h.upto", count: "h.durations" })} AS "p95DurationMs"
    FROM (
      SELECT h.*, ${histogramWindows(`h."workflowId"`)}
      FROM (
        SELECT u."workflowId", u.status, u.bucket, sum(u.n) AS n, sum(u."durationSumMs") AS dur
        FROM (${totalRows(tenantId, keys)}) u GROUP BY 1, 2, 3
      ) h
    ) h
    GROUP BY h."workflowId"
    HAVING sum(h.n) > 0`;
}

/** Statistics of one workflow's runs in a scope. failed = FAILED only (see FINISHED above). */
export type WorkflowStatsRow = {
  workflowId: string;
  total: number;
  completed: number;
  failed: number;
  successRate: number | null;
  /** FAILED / finished: what FAILURE_RATE orders by. */
  failureRate: number | null;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
};
