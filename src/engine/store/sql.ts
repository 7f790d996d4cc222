// What the pg store needs from its surroundings: a way to run statements (counted by the app when
// it watches SQL) and the SQL that queues a job, which belongs to the queue edge (jobs/queue.ts),
// so that a state change and the job it needs commit in the same statement without the engine
// knowing which queue that is.
import type pg from "pg";

/**
 * `name` makes it a prepared statement: PostgreSQL parses and plans it once per connection instead
 * of on every call (the engine's commit statement is ~3 KB of SQL).
 */
export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
  name?: string,
) => Promise<pg.QueryResult<R>>;

/** Runs statements on one connection (a transaction); released by the caller of `withClient`. */
export type Session = { query: Query };

export type SqlRunner = {
  query: Query;
  /** BEGIN … COMMIT on one connection; ROLLBACK when `fn` throws. */
  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T>;
};

/** Each argument is an SQL expression (a column or a parameter), not a value. */
export type JobSql = {
  /** Queues a run of the execution at `runAt`; one queued run per execution (a newer one replaces it). */
  run(args: { execution: string; tenant: string; runAt: string }): string;
  /** Queues the automatic retry of a finished execution at `runAt`. */
  retry(args: { execution: string; tenant: string; runAt: string }): string;
};

export type OnQuery = (sql: string, durationMs: number) => void;

export function createSqlRunner(pool: pg.Pool, onQuery?: OnQuery): SqlRunner {
  const timed =
    (run: (config: pg.QueryConfig) => Promise<pg.QueryResult>): Query =>
    async (text, values, name) => {
      const config = { text, values, ...(name ? { name } : {}) };
      if (!onQuery) return run(config) as never;
      const started = performance.now();
      try {
        return (await run(config)) as never;
      } finally {
        onQuery(text, Math.round((performance.now() - started) * 100) / 100);
      }
    };
  return {
    query: timed((config) => pool.query(config)),
    async transaction(fn) {
      const client = await pool.connect();
      const query = timed((config) => client.query(config));
      try {
        await query("BEGIN");
        const value = await fn({ query });
        await query("COMMIT");
        client.release();
        return value;
      } catch (error) {
        // A connection whose rollback failed may be broken: the pool discards it.
        const broken = await query("ROLLBACK").then(
          () => false,
          () => true,
        );
        client.release(broken);
        throw error;
      }
    },
  };
}
