import { Prisma } from "@prisma/client";
import type { TenantDb } from "../../db/tenant-scope.ts";
import { dailyRows, keysWhere } from "../../read/rollup.ts";
import { splitRange } from "../../read/rollup-count.ts";
import { instant, utcDay } from "../../read/sql.ts";
import { assertIntegerIn, type StatsScope } from "./scope.ts";

/** Runs created on one UTC day. failed = FAILED only: TIMED_OUT is in total but in no other column. */
export type DailyCount = { date: string; total: number; completed: number; failed: number; cancelled: number };

const DAY_MS = 86_400_000;

/**
 * One row per UTC day, oldest first, zeros included, for the `days` days (1..366) ending today —
 * or, when scope.to is set, ending on the UTC day of the last instant before `to` (`to` is
 * exclusive: to = 2024-01-10T00:00Z ends on 2024-01-09). Days before scope.from count 0.
 *
 * Exact, at a cost that grows with `days`, not with runs: whole days come from the daily execution
 * rollup (read/rollup.ts), and only a day that `from` or `to` cuts is counted from its runs.
 */
export async function dailyCounts(db: TenantDb, scope: StatsScope, days: number): Promise<DailyCount[]> {
  assertIntegerIn("days", days, 1, 366);
  const lastInstant = scope.to ? scope.to.getTime() - 1 : Date.now();
  const lastDay = Math.floor(lastInstant / DAY_MS) * DAY_MS;
  const windowStart = new Date(lastDay - (days - 1) * DAY_MS);
  const windowEnd = new Date(lastDay + DAY_MS);
  const from = scope.from && scope.from > windowStart ? scope.from : windowStart;
  const to = scope.to && scope.to < windowEnd ? scope.to : windowEnd;
  const keys = { workflowId: scope.workflowId };
  const { days: whole, partial } = splitRange(from, to);
  const parts: Prisma.Sql[] = [];
  if (whole) {
    const range = { first: whole.first && utcDay(whole.first), end: whole.end && utcDay(whole.end) };
    parts.push(Prisma.sql`SELECT d.day, d.status, d.n FROM (${dailyRows(db.$tenantId, keys, range)}) d`);
  }
  for (const [a, b] of partial) {
    parts.push(Prisma.sql`SELECT (e."createdAt" AT TIME ZONE 'UTC')::date, e.status, 1::bigint FROM "Execution" e
      WHERE ${keysWhere("e", db.$tenantId, keys)} AND e."createdAt" >= ${instant(a)} AND e."createdAt" < ${instant(b)}`);
  }
  const counts =
    parts.length === 0
      ? Prisma.sql`SELECT NULL::date AS day, 0 AS total, 0 AS completed, 0 AS failed, 0 AS cancelled WHERE FALSE`
      : Prisma.sql`SELECT u.day, sum(u.n)::int AS total,
          coalesce(sum(u.n) FILTER (WHERE u.status = 'COMPLETED'), 0)::int AS completed,
          coalesce(sum(u.n) FILTER (WHERE u.status = 'FAILED'), 0)::int AS failed,
          coalesce(sum(u.n) FILTER (WHERE u.status = 'CANCELLED'), 0)::int AS cancelled
        FROM (${Prisma.join(parts, " UNION ALL ")}) AS u(day, status, n)
        GROUP BY u.day`;
  return db.$queryRaw<DailyCount[]>`
    WITH counts AS (${counts})
    SELECT to_char(g.day, 'YYYY-MM-DD') AS date,
      COALESCE(c.total, 0) AS total,
      COALESCE(c.completed, 0) AS completed,
      COALESCE(c.failed, 0) AS failed,
      COALESCE(c.cancelled, 0) AS cancelled
    FROM generate_series(${utcDay(windowStart)}, ${utcDay(new Date(lastDay))}, interval '1 day') AS s(at)
    CROSS JOIN LATERAL (SELECT s.at::date AS day) g
    LEFT JOIN counts c ON c.day = g.day
    ORDER BY g.day`;
}
