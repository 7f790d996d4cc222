import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { databaseUrl } from "../support/database-url.ts";

describe("test databases", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it("are copies of the migrated template", async () => {
    const tables = await t.db.$queryRaw<{ name: string }[]>`
      SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
    expect(tables.map((r) => r.name)).toEqual([
      "ApiKey",
      "Batch",
      "BulkOperation",
      "BulkOperationTarget",
      "EmailOutbox",
      "EventEmission",
      "Execution",
      "ExecutionChange",
      "ExecutionDailyRollup",
      "ExecutionEvent",
      "ExecutionRollupDelta",
      "ExecutionTotalRollup",
      "LogEntry",
      "Step",
      "StepRollupDelta",
      "StepTotalRollup",
      "Tenant",
      "Workflow",
      "WorkflowTemplate",
      "WorkflowVersion",
      "_prisma_migrations",
    ]);
  });

  it("need no migration when up to date, and concurrent callers agree", async () => {
    const results = await Promise.all([migrateDatabase(t.url), migrateDatabase(t.url)]);
    expect(results).toEqual([{ applied: [] }, { applied: [] }]);
  });
});

describe("migrations on an empty database", () => {
  it("are applied once when two processes start at the same time", { timeout: 90_000 }, async () => {
    const name = `stepstream_empty_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const url = databaseUrl(inject("adminDatabaseUrl"), name);
      const results = await Promise.all([migrateDatabase(url), migrateDatabase(url)]);
      // One caller applied everything; the other waited for the lock and found nothing to do.
      const [applied, waited] = [...results].sort((a, b) => b.applied.length - a.applied.length);
      expect(applied?.applied.length).toBeGreaterThan(0);
      expect(waited?.applied).toEqual([]);
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      const { rows } = await db.query("SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL");
      await db.end();
      expect(rows[0].n).toBe(applied?.applied.length);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
