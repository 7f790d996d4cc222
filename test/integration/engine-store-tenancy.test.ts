// The engine's pg store is scoped by construction: a TenantStore made for tenant A cannot claim,
// renew, commit to, cancel or read a run of tenant B, even with B's ids in hand; B's rows stay as
// they were. Also: a commit is all-or-nothing under its guards (lease, sequence, step attempt).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLifecycle } from "../../src/engine/lifecycle.ts";
import { createCancellationRegistry } from "../../src/engine/cancellations.ts";
import { makeEvent } from "../../src/engine/events.ts";
import { createPgStore } from "../../src/engine/store/pg-store.ts";
import { createSqlRunner } from "../../src/engine/store/sql.ts";
import type { SystemStore } from "../../src/engine/store/store.ts";
import { jobSql, migrateQueue } from "../../src/jobs/queue.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let t: TestDatabase;
let pool: pg.Pool;
let store: SystemStore;
let aId: string;
let bId: string;
let bRun: string;

const snapshot = async (executionId: string) => ({
  execution: await t.db.execution.findUniqueOrThrow({ where: { id: executionId } }),
  steps: await t.db.step.findMany({ where: { executionId }, orderBy: { index: "asc" } }),
  batches: await t.db.batch.findMany({ where: { executionId }, orderBy: { index: "asc" } }),
  events: await t.db.executionEvent.count({ where: { executionId } }),
});

beforeAll(async () => {
  t = await createTestDatabase();
  await migrateQueue(t.url);
  pool = new pg.Pool({ connectionString: t.url, max: 3 });
  store = createPgStore({ sql: createSqlRunner(pool), jobs: jobSql });
  aId = (await t.db.tenant.create({ data: { slug: "a", name: "A" } })).id;
  bId = (await t.db.tenant.create({ data: { slug: "b", name: "B" } })).id;
  const workflow = await t.db.workflow.create({
    data: { tenantId: bId, name: "theirs", versions: { create: { tenantId: bId, version: 1, definition: { steps: [{ id: "s", type: "log", config: { message: "x" } }] } } } },
  });
  const lifecycle = createLifecycle({ store, publish: () => {}, cancellations: createCancellationRegistry(), leaseMs: 5000, now: Date.now });
  const created = await lifecycle.create(bId, {
    workflowId: workflow.id,
    workflowVersion: 1,
    steps: [{ id: "s", type: "log", critical: true, dependsOn: [] }],
    input: {},
    startedBy: { kind: "SYSTEM", id: "test", name: null },
    idempotencyKey: null,
    triggerEvent: null,
    triggerSource: "API",
  });
  if (created.kind !== "created") throw new Error("not created");
  bRun = created.execution.id;
});
afterAll(async () => {
  await pool.end();
  await t.drop();
});

describe("a tenant's engine store", () => {
  it("cannot claim, renew, commit to, cancel or look into another tenant's run", async () => {
    const before = await snapshot(bRun);
    const a = store.tenant(aId);
    const owner = randomUUID();
    expect(await a.claim(bRun, owner, 5000)).toBeNull();
    expect(await a.renew(bRun, owner, 5000)).toBe(false);
    await a.release(bRun, owner);
    // A commit built from B's real state, sent through A's store.
    const theirs = await store.tenant(bId).claim(bRun, owner, 5000);
    if (!theirs) throw new Error("B's own store must claim its run");
    const event = makeEvent({ ...theirs.execution }, theirs.execution.lastEventSequence + 1, "EXECUTION_STARTED", undefined, new Date());
    const change = {
      execution: { ...theirs.execution, status: "RUNNING" as const, lastEventSequence: event.sequence },
      expectedSequence: theirs.execution.lastEventSequence,
      steps: theirs.steps.map((s) => ({ state: { ...s, status: "COMPLETED" as const }, expectedAttempt: s.attempt })),
      batches: theirs.batches.map((b) => ({ ...b, status: "COMPLETED" as const })),
      events: [event],
      logs: [{ stepId: null, level: "INFO" as const, message: "should not be written", at: new Date() }],
      wakeAt: new Date(),
      retryAt: null,
      release: { reservedUntil: null },
    };
    expect(await a.commit(owner, change)).toBe(false);
    expect(await a.cancel(bRun, { reason: "x", by: { kind: "USER", id: "a", name: null }, now: new Date() })).toEqual({ kind: "not-found" });
    const after = await snapshot(bRun);
    expect(after.steps).toEqual(before.steps);
    expect(after.batches).toEqual(before.batches);
    expect(after.events).toBe(before.events);
    expect(after.execution.status).toBe(before.execution.status);
    expect(after.execution.lastEventSequence).toBe(before.execution.lastEventSequence);
    expect(await t.db.logEntry.count({ where: { executionId: bRun } })).toBe(0);

    // The same commit through B's store and B's lease goes through: the refusal above was the tenant.
    expect(await store.tenant(bId).commit(owner, change)).toBe(true);
  });

  it("refuses a whole commit whose guard no longer holds: nothing of it is written", async () => {
    const b = store.tenant(bId);
    const owner = randomUUID();
    await b.release(bRun, (await t.db.execution.findUniqueOrThrow({ where: { id: bRun } })).leaseOwner ?? "");
    const state = await b.claim(bRun, owner, 5000);
    if (!state) throw new Error("claim");
    const event = makeEvent({ ...state.execution }, state.execution.lastEventSequence + 1, "EXECUTION_STARTED", undefined, new Date());
    const base = {
      execution: { ...state.execution, lastEventSequence: event.sequence },
      steps: [],
      batches: [],
      events: [event],
      logs: [],
      wakeAt: null,
      retryAt: null,
      release: null,
    };
    const before = await snapshot(bRun);
    // Another writer's event in between (a stale sequence), and another worker's lease.
    expect(await b.commit(owner, { ...base, expectedSequence: state.execution.lastEventSequence - 1 })).toBe(false);
    expect(await b.commit(randomUUID(), { ...base, expectedSequence: state.execution.lastEventSequence })).toBe(false);
    // A step whose attempt moved: the statement fails as a whole.
    const step = state.steps[0];
    if (!step) throw new Error("step");
    await expect(
      b.commit(owner, { ...base, expectedSequence: state.execution.lastEventSequence, steps: [{ state: step, expectedAttempt: step.attempt + 7 }] }),
    ).rejects.toThrow(/compare-and-set/);
    expect(await snapshot(bRun)).toEqual(before);
  });
});
