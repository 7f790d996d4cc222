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
