// Keyset cursors for executions. Prisma's own cursors compare the cursor row's sort value with
// `<`/`>`, which matches nothing when that value is NULL (startedAt, completedAt and durationMs
// are NULL until a run starts or ends), so pages are built from an explicit (value, id) cursor
// with NULLs sorted last.
import { BadUserInputError } from "../errors.ts";
import type { SqlParams } from "./sql-params.ts";

export type SortField = "createdAt" | "startedAt" | "completedAt" | "durationMs";
export type Direction = "asc" | "desc";
export type ExecutionOrder = { field: SortField; direction: Direction };
export type CursorPosition = { value: string | number | null; id: string };

export const DEFAULT_ORDER: ExecutionOrder = { field: "createdAt", direction: "desc" };
const NULLABLE: ReadonlySet<SortField> = new Set(["startedAt", "completedAt", "durationMs"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `value` is the row's sort value: a Date, an instant as any ISO string PostgreSQL writes, a number or null. */
export function encodeCursor(order: ExecutionOrder, value: unknown, id: string): string {
  const plain =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "string" && order.field !== "durationMs"
        ? new Date(value).toISOString()
        : (value ?? null);
  return Buffer.from(JSON.stringify([order.field, plain, id])).toString("base64url");
}

export function decodeCursor(cursor: string, order: ExecutionOrder): CursorPosition {
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
  return { value: value as CursorPosition["value"], id };
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

function effective({ direction }: ExecutionOrder, reversed: boolean): Direction {
  return reversed ? (direction === "asc" ? "desc" : "asc") : direction;
}

/** ORDER BY over alias `alias`; reversed for backward pages (which then also put NULLs first). */
export function orderSql(order: ExecutionOrder, reversed: boolean, alias: string): string {
  const dir = effective(order, reversed).toUpperCase();
  const nulls = NULLABLE.has(order.field) ? (reversed ? " NULLS FIRST" : " NULLS LAST") : "";
  return `${alias}."${order.field}" ${dir}${nulls}, ${alias}.id ${dir}`;
}

/** Rows of alias `e` strictly after the cursor in the (possibly reversed) order. */
export function beyondSql(order: ExecutionOrder, reversed: boolean, at: CursorPosition, params: SqlParams): string {
  const cmp = effective(order, reversed) === "asc" ? ">" : "<";
  const nullsFirst = reversed;
  const column = `e."${order.field}"`;
  const id = `${params.add(at.id)}::uuid`;
  if (at.value === null) {
    const sameNullLater = `(${column} IS NULL AND e.id ${cmp} ${id})`;
    return nullsFirst ? `(${sameNullLater} OR ${column} IS NOT NULL)` : sameNullLater;
  }
  const type = order.field === "durationMs" ? "int" : "timestamptz";
  const value = `${params.add(at.value)}::${type}`;
  // A row comparison, so that the (tenantId, createdAt, id) index serves it.
  const after = `(${column}, e.id) ${cmp} (${value}, ${id})`;
  return NULLABLE.has(order.field) && !nullsFirst ? `(${after} OR ${column} IS NULL)` : after;
}
