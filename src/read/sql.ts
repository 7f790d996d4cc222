// SQL fragments every read model shares. Values are always bound parameters; identifiers never
// come from callers.
import { Prisma } from "@prisma/client";

/** What a read model needs of a client: raw SQL (the tenant-scoped Prisma client has it). */
export type RawDb = { $queryRaw<T = unknown>(query: Prisma.Sql): Promise<T> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A string Postgres accepts as a uuid; anything else can match no row (and must not reach `::uuid`). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** `column = id`, or FALSE when `id` is not a uuid so that a malformed id means "no rows", not a SQL error. */
export function uuidEquals(column: Prisma.Sql, id: string): Prisma.Sql {
  return isUuid(id) ? Prisma.sql`${column} = ${id}::uuid` : Prisma.sql`FALSE`;
}

/** `column IN (ids)` over the ids that are uuids (FALSE when none is). */
export function uuidIn(column: Prisma.Sql, ids: readonly string[]): Prisma.Sql {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Prisma.sql`FALSE`;
  return Prisma.sql`${column} IN (${Prisma.join(valid.map((id) => Prisma.sql`${id}::uuid`))})`;
}

/** `column IN (values)` cast to an enum type (FALSE for an empty list, as Prisma's `in: []`). */
export function enumIn(column: Prisma.Sql, type: string, values: readonly string[]): Prisma.Sql {
  if (values.length === 0) return Prisma.sql`FALSE`;
  return Prisma.sql`${column} IN (${Prisma.join(values.map((v) => Prisma.sql`${v}::${Prisma.raw(`"${type}"`)}`))})`;
}

/**
 * An instant as a parameter. Bound as an ISO string with its "Z" and cast in SQL, because the pg
 * adapter sends Date parameters without a zone, which Postgres would then read in the session's.
 */
export function instant(date: Date): Prisma.Sql {
  return Prisma.sql`${date.toISOString()}::timestamptz`;
}

/** A UTC day (YYYY-MM-DD) as a date parameter. */
export function utcDay(date: Date): Prisma.Sql {
  return Prisma.sql`${date.toISOString().slice(0, 10)}::date`;
}
