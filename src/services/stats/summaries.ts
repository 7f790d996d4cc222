// Summaries of many scopes in ONE statement: this is a DataLoader batch function. Scopes that
// share (from, to) form a group answered by one SELECT with
// GROUP BY GROUPING SETS ((wf), ()) — a row per requested workflow and/or the all-workflows row —
// and the groups are glued with UNION ALL, so the statement count never depends on the batch.
import { ExecutionStatus, Prisma } from "@prisma/client";
import type { TenantDb } from "../../db/tenant-scope.ts";
import { histogramPercentile, histogramWindows, totalRows } from "../../read/rollup.ts";
import { FINISHED, FINISHED_STATUS, rangeWhere, type StatsScope, uuidEquals, uuidIn } from "./scope.ts";

/**
 * byStatus always lists all six statuses in enum order, zeros included, so that a dashboard gets
 * the same shape whatever the data. successRate = COMPLETED / finished (null when none finished);
 * durations are over runs with a durationMs (null when there are none).
 */
export type StatsSummary = {
  total: number;
  /** avgDurationMs: the mean over that status's runs with a duration (finished ones); null when none. */
  byStatus: { status: ExecutionStatus; count: number; avgDurationMs: number | null }[];
  successRate: number | null;
  avgDurationMs: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
};

// Derived from the Prisma enum, whose key order is the schema's.
const STATUSES = Object.values(ExecutionStatus);

type Group = { index: number; scope: StatsScope; workflowIds: Set<string>; all: boolean };

type Row = {
  group: number;
  isAll: boolean;
  workflowId: string | null;
  total: number;
  statusCounts: number[];
  statusMeans: (number | null)[];
  successRate: number | null;
  avgDurationMs: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
};

function groupKey(s: StatsScope): string {
  return JSON.stringify([s.from?.getTime() ?? null, s.to?.getTime() ?? null]);
}

function rowKey(group: number, workflowId: string | null): string {
  return workflowId === null ? `${group}:*` : `${group}:${workflowId.toLowerCase()}`;
}

function groupSelect(tenantId: string, g: Group): Prisma.Sql {
  const ids = [...g.workflowIds];
  const column = Prisma.sql`e."workflowId"`;
  // Runs of workflows nobody asked about still feed the all-workflows row; the CASE folds them
  // into a NULL bucket of the per-workflow set, which is dropped when reading.
  const wf =
    ids.length === 0
      ? Prisma.sql`NULL::uuid`
      : g.all
        ? Prisma.sql`CASE WHEN ${uuidIn(column, ids)} THEN e."workflowId" END`
        : column;
  const sets = [ids.length > 0 ? Prisma.sql`(s.wf)` : null, g.all ? Prisma.sql`()` : null].filter(
    (s): s is Prisma.Sql => s !== null,
  );
  const counts = STATUSES.map((status) => Prisma.sql`count(*) FILTER (WHERE s.status = ${status}::"ExecutionStatus")`);
  const means = STATUSES.map((status) => Prisma.sql`avg(s."durationMs") FILTER (WHERE s.status = ${status}::"ExecutionStatus")`);
  return Prisma.sql`(
    SELECT ${g.index}::int AS "group",
      ${ids.length > 0 ? Prisma.sql`GROUPING(s.wf) = 1 AS "isAll", s.wf::text` : Prisma.sql`TRUE AS "isAll", NULL::text`} AS "workflowId",
      count(*)::int AS total,
      ARRAY[${Prisma.join(counts)}]::int[] AS "statusCounts",
      ARRAY[${Prisma.join(means)}]::float8[] AS "statusMeans",
      (count(*) FILTER (WHERE s.status = 'COMPLETED'))::float8 / NULLIF(count(*) FILTER (WHERE s.finished), 0) AS "successRate",
      avg(s."durationMs")::float8 AS "avgDurationMs",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY s."durationMs") AS "p50DurationMs",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY s."durationMs") AS "p95DurationMs"
    FROM (
      SELECT ${wf} AS wf, e.status, ${FINISHED} AS finished, e."durationMs"
      FROM "Execution" e
      WHERE ${uuidEquals(Prisma.sql`e."tenantId"`, tenantId)}
        ${g.all ? Prisma.empty : Prisma.sql`AND ${uuidIn(column, ids)}`}
        ${rangeWhere(g.scope)}
    ) s
    GROUP BY GROUPING SETS (${Prisma.join(sets)})
  )`;
}

/**
 * A group without from/to, from the all-time rollup (read/rollup.ts): counts, successRate and the
 * mean are exact; p50/p95 come from its duration histogram, within 4.4% of percentile_cont.
 * Its cost grows with workflows, statuses and duration buckets, not with runs.
 */
function rollupGroupSelect(tenantId: string, g: Group): Prisma.Sql {
  const ids = [...g.workflowIds];
  // Each row counts for its workflow (when asked about) and for the all-workflows row (when asked for).
  const keys = [
    ids.length > 0 ? Prisma.sql`(CASE WHEN ${uuidIn(Prisma.sql`u."workflowId"`, ids)} THEN u."workflowId" END, FALSE)` : null,
    g.all ? Prisma.sql`(NULL::uuid, TRUE)` : null,
  ].filter((k): k is Prisma.Sql => k !== null);
  const counts = STATUSES.map(
    (status) => Prisma.sql`coalesce(sum(h.n) FILTER (WHERE h.status = ${status}::"ExecutionStatus"), 0)`,
  );
  // Bucket -1 holds the runs without a duration (and 0 ms of them).
  const means = STATUSES.map(
    (status) => Prisma.sql`sum(h.dur) FILTER (WHERE h.status = ${status}::"ExecutionStatus")
      / NULLIF(sum(h.n) FILTER (WHERE h.status = ${status}::"ExecutionStatus" AND h.bucket >= 0), 0)`,
  );
  const cols = { mean: "h.mean", upto: "h.upto", count: "h.durations" };
  return Prisma.sql`(
    SELECT ${g.index}::int AS "group", h."isAll", h.k::text AS "workflowId",
      sum(h.n)::int AS total,
      ARRAY[${Prisma.join(counts)}]::int[] AS "statusCounts",
      ARRAY[${Prisma.join(means)}]::float8[] AS "statusMeans",
      coalesce(sum(h.n) FILTER (WHERE h.status = 'COMPLETED'), 0)::float8 / NULLIF(sum(h.n) FILTER (WHERE h.finished), 0) AS "successRate",
      sum(h.dur)::float8 / NULLIF(max(h.durations), 0) AS "avgDurationMs",
      ${histogramPercentile(0.5, cols)} AS "p50DurationMs",
      ${histogramPercentile(0.95, cols)} AS "p95DurationMs"
    FROM (
      SELECT h.*, ${FINISHED_STATUS("h")} AS finished, ${histogramWindows(`h."isAll", h.k`)}
      FROM (
        SELECT s.k, s."isAll", u.status, u.bucket, sum(u.n) AS n, sum(u."durationSumMs") AS dur
        FROM (${totalRows(tenantId, g.all ? {} : { workflowIds: ids })}) u
        CROSS JOIN LATERAL (VALUES ${Prisma.join(keys)}) AS s(k, "isAll")
        WHERE s."isAll" OR s.k IS NOT NULL
        GROUP BY 1, 2, 3, 4
      ) h
    ) h
    GROUP BY h."isAll", h.k
  )`;
}

function emptySummary(): StatsSummary {
  return {
    total: 0,
    byStatus: STATUSES.map((status) => ({ status, count: 0, avgDurationMs: null })),
    successRate: null,
    avgDurationMs: null,
    p50DurationMs: null,
    p95DurationMs: null,
  };
}

function toSummary(row: Row): StatsSummary {
  return {
    total: row.total,
    byStatus: STATUSES.map((status, i) => ({
      status,
      count: row.statusCounts[i] ?? 0,
      avgDurationMs: row.statusMeans[i] ?? null,
    })),
    successRate: row.successRate,
    avgDurationMs: row.avgDurationMs,
    p50DurationMs: row.p50DurationMs,
    p95DurationMs: row.p95DurationMs,
  };
}

/** One summary per scope, in the order of `scopes`, from exactly one SQL statement (none for no scopes). */
export async function statsSummaries(db: TenantDb, scopes: readonly StatsScope[]): Promise<StatsSummary[]> {
  if (scopes.length === 0) return [];
  const groups = new Map<string, Group>();
  const groupOf = scopes.map((scope) => {
    const key = groupKey(scope);
    let g = groups.get(key);
    if (!g) {
      g = { index: groups.size, scope, workflowIds: new Set(), all: false };
      groups.set(key, g);
    }
    if (scope.workflowId == null) g.all = true;
    else g.workflowIds.add(scope.workflowId);
    return g.index;
  });
  const selects = [...groups.values()].map((g) =>
    g.scope.from == null && g.scope.to == null ? rollupGroupSelect(db.$tenantId, g) : groupSelect(db.$tenantId, g),
  );
  const rows = await db.$queryRaw<Row[]>`${Prisma.join(selects, " UNION ALL ")}`;
  const byKey = new Map<string, StatsSummary>();
  for (const row of rows) {
    if (row.isAll) byKey.set(rowKey(row.group, null), toSummary(row));
    else if (row.workflowId !== null) byKey.set(rowKey(row.group, row.workflowId), toSummary(row));
  }
  return scopes.map((scope, i) => byKey.get(rowKey(groupOf[i] ?? -1, scope.workflowId ?? null)) ?? emptySummary());
}
