// A database of the test file's own, copied from the migrated template, dropped afterwards.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";
import { databaseUrl } from "./database-url.ts";

export type TestDatabase = {
  url: string;
  db: Db;
  /** Statements run through `db` since the last reset; for N+1 checks. */
  statements: string[];
  drop(): Promise<void>;
};

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Ends every session on `database` but the admin connection that asks (as an operator's
 * pg_terminate_backend would, or a failover): the app's pools, a worker's LISTEN connection and
 * the test's own `db` alike. Waits (up to 5 s each) until they are gone; returns how many ended.
 */
export async function terminateConnections(database: Pick<TestDatabase, "url">): Promise<number> {
  const name = decodeURIComponent(new URL(database.url).pathname.slice(1));
  const { rows } = await admin((c) =>
    c.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid, 5000) AS terminated
       FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    ),
  );
  return rows.filter((r) => r.terminated).length;
}

/** A database with nothing in it, not even the migrations (for tests of a first start). */
export async function createEmptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `stepstream_empty_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: databaseUrl(inject("adminDatabaseUrl"), name),
    async drop() {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `stepstream_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${inject("templateDatabase")}"`));
  const url = databaseUrl(inject("adminDatabaseUrl"), name);
  const statements: string[] = [];
  const db = createDb({ url, poolSize: 5, onQuery: (sql) => statements.push(sql) });
  return {
    url,
    db,
    statements,
    async drop() {
      await db.$disconnect();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
