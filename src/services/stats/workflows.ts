// Per-workflow statistics: the busiest workflows, and a sortable page of every workflow.
import { Prisma } from "@prisma/client";
import type { TenantDb } from "../../db/tenant-scope.ts";
import { BadUserInputError } from "../../errors.ts";
import { assertIntegerIn, type StatsScope, uuidEquals, workflowAggregates, type WorkflowStatsRow } from "./scope.ts";

/**
 * The workflows with the most runs in scope (total desc, then workflow id), at most `limit`
 * (1..100). Only workflows with at least one run in scope appear.
 */
export async function topWorkflows(db: TenantDb, scope: StatsScope, limit: number): Promise<WorkflowStatsRow[]> {
  assertIntegerIn("limit", limit, 1, 100);
  return db.$queryRaw<WorkflowStatsRow[]>`
    SELECT e."workflowId"::text AS "workflowId", total, completed, failed, "successRate", "failureRate", "avgDurationMs",
      "p95DurationMs"
    FROM (${workflowAggregates(db.$tenantId, scope)}) e
    ORDER BY total DESC, e."workflowId"
    LIMIT ${limit}::int`;
}

export type WorkflowStatsOrderField = "TOTAL" | "FAILED" | "FAILURE_RATE" | "AVG_DURATION" | "P95_DURATION";
export type WorkflowStatsOrder = { field: WorkflowStatsOrderField; direction: "asc" | "desc" };
export type WorkflowStatsPage = { rows: WorkflowStatsRow[]; totalCount: number };

// Fixed SQL per field: nothing a caller sends becomes SQL text.
const ORDER_COLUMNS: Record<WorkflowStatsOrderField, Prisma.Sql> = {
  TOTAL: Prisma.sql`total`,
  FAILED: Prisma.sql`failed`,
  FAILURE_RATE: Prisma.sql`"failureRate"`,
  AVG_DURATION: Prisma.sql`"avgDurationMs"`,
  P95_DURATION: Prisma.sql`"p95DurationMs"`,
};
const DIRECTIONS = { asc: Prisma.sql`ASC`, desc: Prisma.sql`DESC` } as const;

// workflowId is NULL on the one row returned when the page is empty (its stats are NULL too).
type PageRow = Omit<WorkflowStatsRow, "workflowId"> & { workflowId: string | null; totalCount: number };

/**
 * Every workflow of the tenant (only scope.workflowId's when set), including those with no run in
 * scope (total 0, rates and durations null), sorted by `order.field` with NULLs last in both
 * directions and ties by workflow id ascending; failureRate = FAILED / finished. One statement:
 * the count is joined to the page so that it survives an offset past the end.
 */
export async function workflowStatsPage(
  db: TenantDb,
  scope: StatsScope,
  order: WorkflowStatsOrder,
  page: { offset: number; limit: number },
): Promise<WorkflowStatsPage> {
  const column = ORDER_COLUMNS[order.field];
  const direction = DIRECTIONS[order.direction];
  if (!column || !direction) throw new BadUserInputError(`Unknown order ${JSON.stringify(order)}`);
  assertIntegerIn("limit", page.limit, 1, 100);
  assertIntegerIn("offset", page.offset, 0, Number.MAX_SAFE_INTEGER);
  const rows = await db.$queryRaw<PageRow[]>`
    WITH stats AS (${workflowAggregates(db.$tenantId, scope)}),
    workflows AS (
      SELECT w.id,
        COALESCE(s.total, 0) AS total,
        COALESCE(s.completed, 0) AS completed,
        COALESCE(s.failed, 0) AS failed,
        s."successRate", s."failureRate", s."avgDurationMs", s."p95DurationMs"
      FROM "Workflow" w
      LEFT JOIN stats s ON s."workflowId" = w.id
      WHERE ${uuidEquals(Prisma.sql`w."tenantId"`, db.$tenantId)}
        ${scope.workflowId != null ? Prisma.sql`AND ${uuidEquals(Prisma.sql`w.id`, scope.workflowId)}` : Prisma.empty}
    ),
    -- A separate level so that the ORDER BY sees the COALESCEd columns, not the stats' NULLs.
    ranked AS (
      SELECT *, row_number() OVER (ORDER BY ${column} ${direction} NULLS LAST, id) AS rank FROM workflows
    )
    SELECT c."totalCount", r.id::text AS "workflowId", r.total, r.completed, r.failed,
      r."successRate", r."failureRate", r."avgDurationMs", r."p95DurationMs"
    FROM (SELECT count(*)::int AS "totalCount" FROM ranked) c
    LEFT JOIN ranked r ON r.rank > ${page.offset}::bigint AND r.rank <= ${page.offset + page.limit}::bigint
    ORDER BY r.rank`;
  return {
    totalCount: rows[0]?.totalCount ?? 0,
    rows: rows.flatMap(({ totalCount: _total, workflowId, ...stats }) =>
      workflowId === null ? [] : [{ workflowId, ...stats }],
    ),
  };
}
