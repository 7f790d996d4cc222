// The executions connections (Query.executions, Workflow.executions): parse the arguments and the
// selection, read the page in one statement (read/execution-page.ts), count only when asked.
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../../context.ts";
import { countExecutions } from "../../read/execution-count.ts";
import type { ExecutionOrder } from "../../read/execution-cursor.ts";
import type { ExecutionFilter } from "../../read/execution-filter.ts";
import { readExecutionPage } from "../../read/execution-page.ts";
import { cursorOfSnapshot } from "../../read/list-changes/cursor.ts";
import type { PageArgs } from "../page-size.ts";
import { executionSelection } from "./selection.ts";
import type { Execution } from "./types.ts";

type ExecutionShape = typeof Execution.$inferType;

export { DEFAULT_ORDER } from "../../read/execution-cursor.ts";

export async function executionPage(
  ctx: Context,
  info: GraphQLResolveInfo,
  { filter, order, args }: { filter: ExecutionFilter | null; order: ExecutionOrder; args: PageArgs },
) {
  const tenantId = ctx.db.$tenantId;
  const page = await readExecutionPage(ctx.sql, tenantId, { filter, order, args, selection: executionSelection(info) });
  // The rows carry what Execution's plain resolvers read, by the same names; instants are ISO
  // strings, which the DateTime scalar serializes like Dates.
  const edges = page.edges as unknown as { cursor: string; node: ExecutionShape }[];
  return {
    ...page,
    edges,
    totalCount: () => countExecutions(ctx.sql, tenantId, filter),
    // The page statement's own snapshot: executionListChanges continues from exactly these rows.
    changesCursor: cursorOfSnapshot(page.snapshot, Date.now()),
  };
}
