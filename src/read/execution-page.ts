// A page of executions in keyset order, read in one statement (execution-page-sql.ts). Validation
// of the page arguments happens before any SQL runs, so every mistake is the client's error.
import type { Query } from "../db/query.ts";
import { BadUserInputError } from "../errors.ts";
import { beyondSql, decodeCursor, encodeCursor, type ExecutionOrder } from "./execution-cursor.ts";
import { executionFilterSql, type ExecutionFilter } from "./execution-filter.ts";
import { executionPageSql } from "./execution-page-sql.ts";
import type { ExecutionSelection } from "./execution-selection.ts";
import { assertPageSize, DEFAULT_PAGE_SIZE, type PageArgs } from "./page-size.ts";
import type { ProgressCounts } from "./progress.ts";
import { createSqlParams } from "./sql-params.ts";
import { statementName } from "./statement-name.ts";

/** A step as the page read it: the selected columns; instants are ISO strings. */
export type StepRow = { id: string } & Record<string, unknown>;

/** The first steps of one execution: one more than asked for when more follow. */
export type StepsPage = { nodes: StepRow[]; total?: number };

/**
 * An execution as the page read it: the selected columns (instants are ISO strings, as PostgreSQL
 * writes them), and what the selection asked to preload under `$`-keys.
 */
export type ExecutionRow = {
  id: string;
  workflowId: string;
  $workflow?: ({ id: string } & Record<string, unknown>) | null;
  $progress?: ProgressCounts;
  /** By response key of the steps field. */
  $steps?: Record<string, StepsPage>;
} & Record<string, unknown>;

/** The cursor is encoded only when read (a dashboard rarely selects it on every edge). */
class ExecutionEdge {
  constructor(
    private readonly order: ExecutionOrder,
    readonly node: ExecutionRow,
  ) {}
  get cursor(): string {
    return encodeCursor(this.order, this.node[this.order.field], this.node.id);
  }
}

export type ExecutionPage = {
  edges: { readonly cursor: string; readonly node: ExecutionRow }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** pg_current_snapshot() of the statement that read the page: what it saw is exactly what committed before it. */
  snapshot: string;
};

export type ExecutionPageRequest = {
  filter: ExecutionFilter | null;
  order: ExecutionOrder;
  args: PageArgs;
  selection: ExecutionSelection;
};

export function assertPageArgs(args: PageArgs): void {
  assertPageSize(args);
  // Relay leaves these undefined and the other connections (plugin-prisma) reject them. Without
  // this, `last` with `after` paged backward from the cursor: it returned the rows *before* it.
  if (args.first != null && args.before != null) throw new BadUserInputError(`Use "before" with "last", not "first"`);
  if (args.last != null && args.after != null) throw new BadUserInputError(`Use "after" with "first", not "last"`);
}

/**
 * Where a page of executions lies: its size, its direction, and the SQL conditions over alias `e`
 * (filter and cursor) with their parameters after the tenant's ($1). Throws the client's errors.
 */
export function pageBounds(tenantId: string, { filter, order, args }: Omit<ExecutionPageRequest, "selection">) {
  assertPageArgs(args);
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  const backward = args.last != null || args.before != null;
  const cursor = args.after ?? args.before;
  const position = cursor ? decodeCursor(cursor, order) : null;
  const params = createSqlParams();
  const tenant = params.add(tenantId);
  let where = executionFilterSql(filter, params, tenant);
  if (position) where += ` AND ${beyondSql(order, backward, position, params)}`;
  return { size, backward, where, params, tenant };
}

export async function readExecutionPage(
  query: Query,
  tenantId: string,
  { filter, order, args, selection }: ExecutionPageRequest,
): Promise<ExecutionPage> {
  const { size, backward, where, params } = pageBounds(tenantId, { filter, order, args });
  const text = executionPageSql({ selection, order, backward, where, take: size + 1 }, params);
  const name = statementName("read:executions", text);
  const result = await query<{ snapshot: string; rows: ExecutionRow[] }>(text, params.values, name);
  const { snapshot, rows } = result.rows[0] as { snapshot: string; rows: ExecutionRow[] };
  const hasMore = rows.length > size;
  const nodes = hasMore ? rows.slice(0, size) : rows;
  if (backward) nodes.reverse();
  const edges = nodes.map((node) => new ExecutionEdge(order, node));
  return {
    edges,
    pageInfo: {
      // As in plugin-prisma: the row a cursor names lies on the other side of the page.
      hasNextPage: backward ? args.before != null : hasMore,
      hasPreviousPage: backward ? hasMore : args.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    snapshot,
  };
}
