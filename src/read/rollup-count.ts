// How many executions match a filter, from the execution rollup: what `totalCount` costs without
// counting every row of the tenant's history. Exact, always:
// - no createdAfter/createdBefore: the all-time rollup (its rows grow with workflows, statuses
//   and trigger sources, never with runs);
// - a range: its whole UTC days from the daily rollup, and the partial days at either end counted
//   from the Execution rows themselves (an index range over at most two days of runs). A range
//   open on the left (createdBefore only) reads every day of the tenant's history up to it: that
//   grows with days, never with runs.
// `search` matches text the rollup does not keep, and it keeps no startedBy or externalId: null,
// and the caller counts rows (through the indexes on those two).
import { Prisma } from "@prisma/client";
import type { ExecutionFilter } from "./execution-filter.ts";
import { type DayRange, dailyRows, keysWhere, type RollupKeys, totalRows } from "./rollup.ts";
import { instant, type RawDb, utcDay } from "./sql.ts";

/** What the rollup counts by: the executions filter (its `search` makes the rollup answer null). */
export type CountFilter = ExecutionFilter;

const DAY_MS = 86_400_000;
const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const ceilDay = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);

/** A createdAt range split into whole UTC days and the partial ranges around them. */
export type SplitRange = { days: { first: Date | null; end: Date | null } | null; partial: [Date, Date][] };

/** Splits `[after, before)` (either side open when null) into whole UTC days and partial ranges. */
export function splitRange(after: Date | null, before: Date | null): SplitRange {
  const first = after ? ceilDay(after) : null;
  const end = before ? floorDay(before) : null;
  if (after && before && (first as Date) >= (end as Date)) {
    return { days: null, partial: after < before ? [[after, before]] : [] };
  }
  const partial: [Date, Date][] = [];
  if (after && first && after < first) partial.push([after, first]);
  if (before && end && end < before) partial.push([end, before]);
  return { days: { first, end }, partial };
}

/** The count as SQL (a bigint expression), for callers that fold it into a larger statement. */
export function rollupCountSql(tenantId: string, filter: CountFilter): Prisma.Sql | null {
  // The rollup keeps neither text nor who started a run nor its externalId.
  if (filter.search?.trim() || filter.startedBy != null || filter.externalId != null) return null;
  const keys: RollupKeys = { workflowId: filter.workflowId, status: filter.status, triggerSource: filter.triggerSource };
  const after = filter.createdAfter ?? null;
  const before = filter.createdBefore ?? null;
  if (!after && !before) return Prisma.sql`(SELECT coalesce(sum(n), 0) FROM (${totalRows(tenantId, keys)}) t)`;
  const { days, partial } = splitRange(after, before);
  const parts: Prisma.Sql[] = [];
  if (days) {
    const range: DayRange = { first: days.first && utcDay(days.first), end: days.end && utcDay(days.end) };
    parts.push(Prisma.sql`(SELECT coalesce(sum(n), 0) FROM (${dailyRows(tenantId, keys, range)}) d)`);
  }
  for (const [from, to] of partial) {
    parts.push(Prisma.sql`(SELECT count(*) FROM "Execution" e WHERE ${keysWhere("e", tenantId, keys)}
      AND e."createdAt" >= ${instant(from)} AND e."createdAt" < ${instant(to)})`);
  }
  return parts.length === 0 ? Prisma.sql`0::bigint` : Prisma.join(parts, " + ");
}

/**
 * The number of the tenant's executions matching `filter`, exact, in one statement whose cost
 * does not grow with history; null when the rollup cannot answer (a `search`).
 */
export async function rollupCount(db: RawDb, tenantId: string, filter: CountFilter): Promise<number | null> {
  const sql = rollupCountSql(tenantId, filter);
  if (!sql) return null;
  const rows = await db.$queryRaw<{ count: bigint | number }[]>(Prisma.sql`SELECT (${sql})::bigint AS count`);
  return Number(rows[0]?.count ?? 0);
}
