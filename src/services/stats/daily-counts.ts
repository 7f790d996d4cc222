import { Prisma } from "@prisma/client";
import type { TenantDb } from "../../db/tenant-scope.ts";
import { assertIntegerIn, instant, type StatsScope, scopeWhere } from "./scope.ts";

/** Runs created on one UTC day. failed = FAILED only: TIMED_OUT is in total but in no other column. */
export type DailyCount = { date: string; total: number; completed: number; failed: number; cancelled: number };

/**
 * One row per UTC day, oldest first, zeros included, for the `days` days (1..366) ending today —
 * or, when scope.to is set, ending on the UTC day of the last instant before `to` (`to` is
 * exclusive: to = 2024-01-10T00:00Z ends on 2024-01-09). Days before scope.from count 0.
 */
export async function dailyCounts(db: TenantDb, scope: StatsScope, days: number): Promise<DailyCount[]> {
  assertIntegerIn("days", days, 1, 366);
  const lastDay = scope.to
    ? Prisma.sql`((${instant(scope.to)} - interval '1 millisecond') AT TIME ZONE 'UTC')::date`
    : Prisma.sql`(now() AT TIME ZONE 'UTC')::date`;
  return db.$queryRaw<DailyCount[]>`
    WITH bounds AS (
      SELECT last - (${days}::int - 1) AS first, last FROM (SELECT ${lastDay} AS last) l
    ),
    counts AS (
      SELECT (e."createdAt" AT TIME ZONE 'UTC')::date AS day,
        count(*)::int AS total,
        count(*) FILTER (WHERE e.status = 'COMPLETED')::int AS completed,
        count(*) FILTER (WHERE e.status = 'FAILED')::int AS failed,
        count(*) FILTER (WHERE e.status = 'CANCELLED')::int AS cancelled
      FROM "Execution" e, bounds b
      WHERE ${scopeWhere(db.$tenantId, scope)}
        AND e."createdAt" >= (b.first::timestamp AT TIME ZONE 'UTC')
        AND e."createdAt" < ((b.last + 1)::timestamp AT TIME ZONE 'UTC')
      GROUP BY 1
    )
    SELECT to_char(d.day, 'YYYY-MM-DD') AS date,
      COALESCE(c.total, 0) AS total,
      COALESCE(c.completed, 0) AS completed,
      COALESCE(c.failed, 0) AS failed,
      COALESCE(c.cancelled, 0) AS cancelled
    FROM bounds b
    CROSS JOIN LATERAL generate_series(b.first, b.last, interval '1 day') AS g(at)
    CROSS JOIN LATERAL (SELECT g.at::date AS day) d
    LEFT JOIN counts c ON c.day = d.day
    ORDER BY d.day`;
}
