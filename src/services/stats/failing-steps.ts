import { Prisma } from "@prisma/client";
import type { TenantDb } from "../../db/tenant-scope.ts";
import { histogramPercentile, histogramWindows, stepTotalRows } from "../../read/rollup.ts";
import { assertIntegerIn, type StatsScope, scopeWhere } from "./scope.ts";

/** How one action (step type and key) fares across the runs in scope. */
export type FailingStep = {
  type: string;
  key: string | null;
  total: number;
  failed: number;
  failureRate: number;
  avgDurationMs: number | null;
  p95DurationMs: number | null;
};

/**
 * The (type, key) groups with at least one FAILED step, most failures first (then failureRate
 * desc, type, key; text compared bytewise), at most `limit` (1..100). Only steps that reached
 * COMPLETED or FAILED count: pending, running, skipped and cancelled steps say nothing about
 * whether the action works. Scope filters apply to the step's execution.
 */
export async function failingSteps(db: TenantDb, scope: StatsScope, limit: number): Promise<FailingStep[]> {
  assertIntegerIn("limit", limit, 1, 100);
  const ranged = scope.from != null || scope.to != null;
  const groups = ranged ? stepGroups(db.$tenantId, scope) : rollupGroups(db.$tenantId, scope);
  return db.$queryRaw<FailingStep[]>`
    SELECT type, key, total, failed, failed::float8 / total AS "failureRate", "avgDurationMs", "p95DurationMs"
    FROM (${groups}) g
    WHERE failed > 0
    ORDER BY failed DESC, "failureRate" DESC, type COLLATE "C", key COLLATE "C"
    LIMIT ${limit}::int`;
}

/**
 * Without from/to: the step rollup (read/rollup.ts). Counts and the mean are exact, p95 comes from
 * the duration histogram (within 4.4%); the cost grows with step types and keys, not with runs.
 */
function rollupGroups(tenantId: string, scope: StatsScope): Prisma.Sql {
  return Prisma.sql`
    SELECT h.type, h.key, sum(h.n)::int AS total,
      coalesce(sum(h.n) FILTER (WHERE h.status = 'FAILED'), 0)::int AS failed,
      sum(h.dur)::float8 / NULLIF(max(h.durations), 0) AS "avgDurationMs",
      ${histogramPercentile(0.95, { mean: "h.mean", upto: "h.upto", count: "h.durations" })} AS "p95DurationMs"
    FROM (
      SELECT h.*, ${histogramWindows("h.type, h.key")}
      FROM (
        SELECT u.type, u.key, u.status, u.bucket, sum(u.n) AS n, sum(u.dur) AS dur
        FROM (${stepTotalRows(tenantId, scope.workflowId)}) u GROUP BY 1, 2, 3, 4
      ) h
    ) h
    GROUP BY h.type, h.key
    HAVING sum(h.n) > 0`;
}

/** With from/to: the steps of the runs in range, exact. */
function stepGroups(tenantId: string, scope: StatsScope): Prisma.Sql {
  return Prisma.sql`
      SELECT s.type, s.key,
        count(*)::int AS total,
        count(*) FILTER (WHERE s.status = 'FAILED')::int AS failed,
        avg(s."durationMs")::float8 AS "avgDurationMs",
        percentile_cont(0.95) WITHIN GROUP (ORDER BY s."durationMs") AS "p95DurationMs"
      FROM "Step" s
      JOIN "Execution" e ON e.id = s."executionId"
      WHERE ${scopeWhere(tenantId, scope)}
        AND s."tenantId" = e."tenantId"
        AND s.status IN ('COMPLETED', 'FAILED')
      GROUP BY s.type, s.key`;
}
