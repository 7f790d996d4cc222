import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

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
      "Batch",
      "Execution",
      "ExecutionEvent",
      "LogEntry",
      "Step",
      "Tenant",
      "Workflow",
      "WorkflowVersion",
      "_prisma_migrations",
    ]);
  });

  it("need no migration when up to date, and concurrent callers agree", async () => {
    const results = await Promise.all([migrateDatabase(t.url), migrateDatabase(t.url)]);
    expect(results).toEqual([{ applied: [] }, { applied: [] }]);
  });
});
