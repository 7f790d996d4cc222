// graphile-worker's own migrations, run by several processes at once on an empty database (every
// replica of a first deploy): graphile-worker detects a concurrent migration by its clash codes and
// carries on, so none of them fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { migrateQueue } from "../../src/jobs/queue.ts";
import { createEmptyDatabase } from "../support/database.ts";

describe("migrateQueue", () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(() => database?.drop());

  it("succeeds for every one of several concurrent callers on an empty database", async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => migrateQueue(database.url)));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM graphile_worker.migrations");
      expect(rows[0].n).toBeGreaterThan(10);
    } finally {
      await client.end();
    }
  });
});
