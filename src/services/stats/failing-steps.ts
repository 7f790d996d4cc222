import type { TenantDb } from "../../db/tenant-scope.ts";
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
  return db.$queryRaw<FailingStep[]>`
    SELECT type, key, total, failed, failed::float8 / total AS "failureRate", "avgDurationMs", "p95DurationMs"
    FROM (
      SELECT s.type, s.key,
        count(*)::int AS total,
        count(*) FILTER (WHERE s.status = 'FAILED')::int AS failed,
        avg(s."durationMs")::float8 AS "avgDurationMs",
        percentile_cont(0.95) WITHIN GROUP (ORDER BY s."durationMs") AS "p95DurationMs"
      FROM "Step" s
      JOIN "Execution" e ON e.id = s."executionId"
      WHERE ${scopeWhere(db.$tenantId, scope)}
        AND s."tenantId" = e."tenantId"
        AND s.status IN ('COMPLETED', 'FAILED')
      GROUP BY s.type, s.key
    ) g
    WHERE failed > 0
    ORDER BY failed DESC, "failureRate" DESC, type COLLATE "C", key COLLATE "C"
    LIMIT ${limit}::int`;
}
