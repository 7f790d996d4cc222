// Retention: finished runs that completed longer ago than EXECUTION_RETENTION_DAYS are deleted
// with their batches, steps, events and logs — by `npm run retention` (after a --dry-run that only
// lists them) and by the worker's scheduled pass — and the statistics forget them. A run that is
// not finished is never deleted, however old. The same window removes emitEvent's idempotency
// records (the key then starts runs again) and finished bulk operations with their targets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { silentLogger } from "../support/logs.ts";
import { rowId } from "../support/durability.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { startServerProcess } from "../support/process.ts";
import { waitUntil } from "../support/ws-subscriber.ts";

const Stats = graphql(`
  query RetentionStats {
    executionStats { total }
    executions(first: 1) { totalCount }
  }
`);

const Emit = graphql(`
  mutation RetentionEmit($input: EmitEventInput!) {
    emitEvent(input: $input) {
      __typename
      ... on EmitEventSuccess { started { id } }
      ... on Error { code message }
    }
  }
`);

const WAITS = { steps: [{ id: "wait", type: "delay", config: { ms: "{{input.ms}}" } }] };
const FAILS = { steps: [{ id: "boom", type: "fail", config: { message: "boom" } }] };

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

async function cli(...args: string[]) {
  const child = startServerProcess(
    { NODE_ENV: "test", DATABASE_URL: app.database.url, EXECUTION_RETENTION_DAYS: "90" },
    "src/cli/retention.ts",
    args,
  );
  const code = await child.exited;
  return { code, output: child.output() };
}

/** Moves a run's completion (or, for an open run, its creation) 100 days back. */
async function age(ids: string[], column: "completedAt" | "createdAt") {
  await app.app.db.$executeRawUnsafe(
    `UPDATE "Execution" SET "${column}" = now() - interval '100 days' WHERE id = ANY($1::uuid[])`,
    ids,
  );
}

const exists = async (ids: string[]) => app.app.db.execution.count({ where: { id: { in: ids } } });

describe("retention", () => {
  let old: string[];
  let recent: string;
  let sleeper: string;

  beforeAll(async () => {
    const waits = await createWorkflow(app, WAITS);
    const fails = await createWorkflow(app, FAILS);
    old = [];
    for (let i = 0; i < 3; i++) old.push(rowId((await waitForRun(app, await startRunId(app, waits, { ms: 0 }))).id));
    old.push(rowId((await waitForRun(app, await startRunId(app, fails))).id));
    recent = rowId((await waitForRun(app, await startRunId(app, waits, { ms: 0 }))).id);
    const sleeping = await startRunId(app, waits, { ms: 600_000 });
    await waitForRun(app, sleeping, (run) => run.status === "RUNNING");
    sleeper = rowId(sleeping);
    await age(old, "completedAt");
    await age([sleeper], "createdAt");
  });

  it("--dry-run lists what would go and deletes nothing; without it, it deletes exactly that", async () => {
    const before = await app.query(Stats);
    expect(before.executionStats.total).toBe(6);

    const dry = await cli("--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.output).toContain("Would delete 4 finished execution(s)");
    expect(dry.output).toMatch(/dev: 4 \(3 COMPLETED, 1 FAILED\)/);
    expect(await exists(old)).toBe(4);

    const run = await cli();
    expect(run.code).toBe(0);
    expect(run.output).toContain("Deleted 4 execution(s)");
    expect(await exists(old)).toBe(0);
    for (const model of ["step", "batch", "executionEvent", "logEntry"] as const) {
      expect(await (app.app.db[model] as { count: (a: object) => Promise<number> }).count({ where: { executionId: { in: old } } })).toBe(0);
    }
    // Kept: the run that completed recently, and the old run that has not finished.
    expect(await exists([recent, sleeper])).toBe(2);
    // The statistics and totalCount forget the deleted runs (rollups counted them out).
    const after = await app.query(Stats);
    expect(after.executionStats.total).toBe(2);
    expect(after.executions.totalCount).toBe(2);
  });

  it("refuses to run while retention is off unless --days says how long to keep runs", async () => {
    const child = startServerProcess({ NODE_ENV: "test", DATABASE_URL: app.database.url }, "src/cli/retention.ts", ["--dry-run"]);
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain("Retention is off");
  });

  it("runs as a scheduled pass in the worker", async () => {
    await age([recent], "completedAt");
    // A second worker over the same database, with retention on and a short interval.
    let worker: App | null = null;
    try {
      worker = await createApp(
        loadConfig({
          NODE_ENV: "test",
          DATABASE_URL: app.database.url,
          EXECUTION_RETENTION_DAYS: "90",
          EXECUTION_RETENTION_INTERVAL_MS: "1000",
        }),
        { log: silentLogger() },
      );
      await waitUntil("the old run is gone", async () => (await exists([recent])) === 0, 20_000);
    } finally {
      await worker?.stop();
    }
    expect(await exists([sleeper])).toBe(1);
    expect((await app.query(Stats)).executionStats.total).toBe(1);
  });
});

describe("retention of emitEvent records and bulk operations", () => {
  const emit = async (idempotencyKey: string) => {
    const { emitEvent } = await app.query(Emit, { input: { name: "retention_probe", idempotencyKey } });
    if (emitEvent.__typename !== "EmitEventSuccess") throw new Error(JSON.stringify(emitEvent));
    return emitEvent.started.map((run) => run.id);
  };
  const emissions = async () =>
    (await app.app.db.eventEmission.findMany({ select: { idempotencyKey: true }, orderBy: { idempotencyKey: "asc" } })).map(
      (e) => e.idempotencyKey,
    );
  const bulkOperations = async () =>
    (await app.app.db.bulkOperation.findMany({ select: { reason: true }, orderBy: { reason: "asc" } })).map((b) => b.reason);

  it("deletes those older than the window, keeps the rest, and an expired key starts runs again", async () => {
    await createWorkflow(app, {
      trigger: { event: "retention_probe" },
      steps: [{ id: "note", type: "log", config: { message: "probe" } }],
    });
    const [firstRun] = await emit("old-key");
    const [recentRun] = await emit("recent-key");
    expect(await emit("old-key")).toEqual([firstRun]);
    await app.app.db.$executeRawUnsafe(
      `UPDATE "EventEmission" SET "createdAt" = now() - interval '100 days' WHERE "idempotencyKey" = 'old-key'`,
    );
    // Three bulk operations: finished 100 days ago (goes, with its target), finished now, and one
    // created 100 days ago that has not finished (both kept).
    const tenant = await ensureDevTenant(app.app.db);
    const old = "now() - interval '100 days'";
    for (const [reason, status, createdAt, completedAt] of [
      ["finished-old", "COMPLETED", old, old],
      ["finished-recent", "FAILED", "now()", "now()"],
      ["running-old", "RUNNING", old, "NULL"],
    ]) {
      await app.app.db.$executeRawUnsafe(
        `WITH op AS (
           INSERT INTO "BulkOperation" ("tenantId", kind, status, filter, reason, total, "createdByKind", "createdById", "createdAt", "completedAt")
           VALUES ($1::uuid, 'CANCEL', '${status}', '{}', '${reason}', 1, 'SYSTEM', 'test', ${createdAt}, ${completedAt}) RETURNING id)
         INSERT INTO "BulkOperationTarget" ("operationId", "executionId", "tenantId") SELECT id, gen_random_uuid(), $1::uuid FROM op`,
        tenant.id,
      );
    }

    const dry = await cli("--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.output).toContain("dev: 0; 1 emitEvent idempotency record(s) and 1 finished bulk operation(s)");
    expect(await emissions()).toEqual(["old-key", "recent-key"]);
    expect(await bulkOperations()).toEqual(["finished-old", "finished-recent", "running-old"]);

    const run = await cli();
    expect(run.code).toBe(0);
    expect(run.output).toContain("and 1 emitEvent idempotency record(s) and 1 finished bulk operation(s).");
    expect(await emissions()).toEqual(["recent-key"]);
    expect(await bulkOperations()).toEqual(["finished-recent", "running-old"]);
    expect(await app.app.db.bulkOperationTarget.count()).toBe(2);

    // The forgotten key is new again; the remembered one still answers with its run.
    const [again] = await emit("old-key");
    expect(again).toBeDefined();
    expect(again).not.toBe(firstRun);
    expect(await emit("recent-key")).toEqual([recentRun]);
  });
});
