// Execution.steps: the page the executions statement preloaded when there is one (the usual case:
// a dashboard's `steps(first: N)`), else a query of its own with plugin-prisma's cursors, so a
// cursor from either path pages the other.
import { getConnectionPageSize, PothosValidationError, validateConnectionArguments } from "@pothos/core";
import { formatPrismaCursor, parsePrismaCursor, queryFromInfo } from "@pothos/plugin-prisma";
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../../context.ts";
import { BadUserInputError } from "../../errors.ts";
import type { StepsPage } from "../../read/execution-page.ts";
import { assertPageSize, DEFAULT_PAGE_SIZE, type PageArgs } from "../page-size.ts";
import { type Step, stepWhere, type StepFilterInput } from "./types.ts";

type StepShape = typeof Step.$inferType;

type Args = PageArgs & { filter?: StepFilterInput | null };
type Row = { id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A step cursor's id; a cursor that holds anything else is the client's mistake, not a database error. */
function stepIdOf(cursor: string): string {
  let id: unknown;
  try {
    id = parsePrismaCursor(cursor);
  } catch {
    id = null;
  }
  if (typeof id !== "string" || !UUID.test(id)) throw new BadUserInputError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  return id;
}

/** As plugin-prisma's connections check them, in the same order and with the same messages. */
function pageQuery(args: PageArgs): { take: number; skip: number; cursor?: { id: string } } {
  validateConnectionArguments(args);
  if (args.before && args.after) {
    throw new PothosValidationError('Arguments "before" and "after" are not supported at the same time');
  }
  if (args.before != null && args.first != null) {
    throw new PothosValidationError('Arguments "before" and "first" are not supported at the same time');
  }
  if (args.after != null && args.last != null) {
    throw new PothosValidationError('Arguments "after" and "last" are not supported at the same time');
  }
  const { limit } = getConnectionPageSize({ args, defaultSize: DEFAULT_PAGE_SIZE, maxSize: assertPageSize(args) });
  const take = args.before != null || args.last != null ? -limit : limit;
  const cursor = args.before ?? args.after;
  return cursor == null ? { take, skip: 0 } : { cursor: { id: stepIdOf(cursor) }, take, skip: 1 };
}

/** The cursor is encoded only when a client selects it (a dashboard's 500 steps per page do not). */
class Edge<T extends Row> {
  constructor(readonly node: T) {}
  get cursor(): string {
    return formatPrismaCursor(this.node, "id");
  }
}

/** `results` holds up to |take| rows: one more than the page when more follow. */
function connection<T extends Row>(results: T[], args: PageArgs, take: number, totalCount: unknown) {
  const full = results.length === Math.abs(take);
  const backward = args.before != null || args.last != null;
  const nodes = full ? results.slice(take < 0 ? 1 : 0, take < 0 ? results.length : -1) : results;
  const edges = nodes.map((node) => new Edge(node));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: args.before != null ? true : args.last != null ? false : full,
      hasPreviousPage: args.after != null ? true : backward ? full : false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Synchronous when preloaded: a promise per execution would make the executor await every row of the page. */
export function stepPage(
  execution: { id: string; $steps?: Record<string, StepsPage> },
  args: Args,
  ctx: Context,
  info: GraphQLResolveInfo,
) {
  const { take, skip, cursor } = pageQuery(args);
  const where = { executionId: execution.id, ...stepWhere(args.filter) };
  const count = () => ctx.db.step.count({ where });
  const preloaded = execution.$steps?.[info.path.key as string];
  // Preloaded steps carry what Step's plain resolvers read, by the same names (instants as ISO strings).
  if (preloaded) return connection(preloaded.nodes as unknown as StepShape[], args, take, preloaded.total ?? count);
  const query = queryFromInfo({ context: ctx, info, path: ["edges", "node"] });
  return ctx.db.step
    .findMany({ ...query, where, orderBy: { index: "asc" }, take, skip, cursor })
    .then((rows) => connection(rows as StepShape[], args, take, count));
}
