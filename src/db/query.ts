// Statements on a pg pool, each seen by the app's statement watcher (tests count them, LOG_SQL
// prints them). The read layer runs on this: Prisma costs about a millisecond of CPU per statement
// and builds every row as an object before the resolvers see it.
import type pg from "pg";

/** `name` makes it a prepared statement: planned once per connection, for SQL whose text is stable. */
export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
  name?: string,
) => Promise<pg.QueryResult<R>>;

export function createQuery(pool: pg.Pool, onQuery?: (sql: string, durationMs: number) => void): Query {
  return async (text, values, name) => {
    const config = { text, values, ...(name ? { name } : {}) };
    if (!onQuery) return pool.query(config) as never;
    const started = performance.now();
    try {
      return (await pool.query(config)) as never;
    } finally {
      onQuery(text, Math.round((performance.now() - started) * 100) / 100);
    }
  };
}
