// Keyset pagination for executions. Prisma's own cursors compare the cursor row's sort value
// with `<`/`>`, which matches nothing when that value is NULL (startedAt, completedAt and
// durationMs are NULL until a run starts or ends), so pages here are built from an explicit
// (value, id) cursor with NULLs sorted last.

import { queryFromInfo } from "@pothos/plugin-prisma";
import type { Prisma } from "@prisma/client";
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import type { Context } from "../../context.ts";
import { BadUserInputError } from "../../errors.ts";
import { cursorOfSnapshot } from "../../read/list-changes/cursor.ts";
import { assertPageSize, DEFAULT_PAGE_SIZE, type PageArgs } from "../page-size.ts";
import type { ExecutionOrderInput } from "./filter.ts";

type SortField = ExecutionOrderInput["field"];
type Direction = "asc" | "desc";
type Order = { field: SortField; direction: Direction };
type CursorValue = string | number | null;

export const DEFAULT_ORDER: Order = { field: "createdAt", direction: "desc" };
const NULLABLE: ReadonlySet<SortField> = new Set(["startedAt", "completedAt", "durationMs"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(order: Order, row: Record<string, unknown>): string {
  const value = row[order.field];
  const plain = value instanceof Date ? value.toISOString() : (value ?? null);
  return Buffer.from(JSON.stringify([order.field, plain, row.id])).toString("base64url");
}

function decodeCursor(cursor: string, order: Order): { value: CursorValue; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new BadUserInputError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[2] !== "string" || !UUID.test(parsed[2])) {
    throw new BadUserInputError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  }
  const [field, value, id] = parsed as [unknown, unknown, string];
  if (field !== order.field) {
    throw new BadUserInputError("This cursor belongs to a different ordering; start again without after/before");
  }
  // Only values encodeCursor can produce: anything else (a duration beyond the 32-bit column, a
  // year Postgres cannot store) would reach the database and fail there as an internal error.
  const valid =
    (value === null && NULLABLE.has(order.field)) ||
    (order.field === "durationMs" ? isInt32(value) : isCanonicalInstant(value));
  if (!valid) throw new BadUserInputError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  return { value: value as CursorValue, id };
}

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
}

/** An ISO string exactly as Date#toISOString writes it, in the years 0001 to 9999 (Postgres has no year 0). */
function isCanonicalInstant(value: unknown): value is string {
  if (typeof value !== "string" || !/^(?!0000)\d{4}-/.test(value)) return false;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value;
}

function asDbValue(field: SortField, value: string | number): Date | number {
  return field === "durationMs" ? Number(value) : new Date(value);
}

/** Sort order; reversed for backward pages (which then also put NULLs first). */
function orderBy({ field, direction }: Order, reversed: boolean): Prisma.ExecutionOrderByWithRelationInput[] {
  const dir: Direction = reversed ? (direction === "asc" ? "desc" : "asc") : direction;
  const key = NULLABLE.has(field) ? { sort: dir, nulls: reversed ? "first" : "last" } : dir;
  return [{ [field]: key }, { id: dir }];
}

/** Rows strictly after the cursor in the (possibly reversed) order. */
function beyond(order: Order, reversed: boolean, value: CursorValue, id: string): Prisma.ExecutionWhereInput {
  const dir: Direction = reversed ? (order.direction === "asc" ? "desc" : "asc") : order.direction;
  const cmp = dir === "asc" ? "gt" : "lt";
  const nullsFirst = reversed;
  const { field } = order;
  if (value === null) {
    const sameNullLater = { [field]: null, id: { [cmp]: id } };
    return nullsFirst ? { OR: [sameNullLater, { [field]: { not: null } }] } : sameNullLater;
  }
  const v = asDbValue(field, value);
  const after: Prisma.ExecutionWhereInput[] = [{ [field]: { [cmp]: v } }, { [field]: v, id: { [cmp]: id } }];
  if (NULLABLE.has(field) && !nullsFirst) after.push({ [field]: null });
  return { OR: after };
}

export async function executionPage(
  ctx: Context,
  info: GraphQLResolveInfo,
  { where, order, args }: { where: Prisma.ExecutionWhereInput; order: Order; args: PageArgs },
) {
  assertPageSize(args);
  // Relay leaves these undefined and the other connections (plugin-prisma) reject them. Without
  // this, `last` with `after` paged backward from the cursor: it returned the rows *before* it.
  if (args.first != null && args.before != null) throw new BadUserInputError(`Use "before" with "last", not "first"`);
  if (args.last != null && args.after != null) throw new BadUserInputError(`Use "after" with "first", not "last"`);
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  const backward = args.last != null || args.before != null;
  const cursor = args.after ?? args.before;
  const position = cursor ? decodeCursor(cursor, order) : null;
  const planned = queryFromInfo({ context: ctx, info, path: ["edges", "node"] });
  // Execution is in select mode; the cursor needs the sort value and id of every row.
  const query = planned.select ? { select: { ...planned.select, id: true, [order.field]: true } } : planned;
  const { rows, snapshot } = await readAtSnapshot(ctx, selects(info, "changesCursor"), (db) =>
    db.execution.findMany({
      ...query,
      where: position ? { AND: [where, beyond(order, backward, position.value, position.id)] } : where,
      orderBy: orderBy(order, backward),
      take: size + 1,
    }),
  );
  const hasMore = rows.length > size;
  const nodes = rows.slice(0, size);
  if (backward) nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: encodeCursor(order, node), node }));
  return {
    edges,
    pageInfo: {
      // As in plugin-prisma: the row a cursor names lies on the other side of the page.
      hasNextPage: backward ? args.before != null : hasMore,
      hasPreviousPage: backward ? hasMore : args.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => ctx.db.execution.count({ where }),
    changesCursor: snapshot ? cursorOfSnapshot(snapshot.snapshot, snapshot.nowMs) : null,
  };
}

/**
 * The page's rows and, when `wanted`, the snapshot they were read at: the list's changesCursor,
 * from which executionListChanges continues with no gap and no repeat. Here the snapshot is the
 * first statement of a REPEATABLE READ transaction, so the rows are read at exactly that
 * snapshot (three statements more, and a connection held across two round trips, only when
 * changesCursor is selected). To be swapped for the one-statement page that returns
 * `pg_current_snapshot()` with its rows.
 */
async function readAtSnapshot<T>(
  ctx: Context,
  wanted: boolean,
  read: (db: Context["db"]) => Promise<T>,
): Promise<{ rows: T; snapshot: { snapshot: string; nowMs: number } | null }> {
  if (!wanted) return { rows: await read(ctx.db), snapshot: null };
  return ctx.db.$transaction(
    async (tx) => {
      const [snapshot] = await tx.$queryRaw<{ snapshot: string; nowMs: number }[]>`
        SELECT pg_current_snapshot()::text AS snapshot,
          (extract(epoch from statement_timestamp()) * 1000)::float8 AS "nowMs"`;
      return { rows: await read(tx as unknown as Context["db"]), snapshot: snapshot as { snapshot: string; nowMs: number } };
    },
    // Prisma gives up on a transaction that waits 2 s for a connection; a burst of list reads
    // (a dashboard's clients reconnecting) queues longer than that behind the pool.
    { isolationLevel: "RepeatableRead", maxWait: 30_000, timeout: 30_000 },
  );
}

/** Whether the connection's selection (fragments included) asks for `field`. */
function selects(info: GraphQLResolveInfo, field: string): boolean {
  const within = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === field;
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet);
      return within(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet));
}
