// A bulk RETRY whose worker process is killed (SIGKILL) between chunks resumes on another worker
// (the sweeper queues it again once its lease ran out) and retries every run exactly once: the
// mark that a run was done commits in the same transaction as its retry, so nothing the dead
// worker did is done again and nothing it had not done is lost. A worker that is stopped
// (SIGTERM) hands its operation back between two targets, and the next worker finishes it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeIdOf } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId } from "../support/engine.ts";
import { rowId } from "../support/durability.ts";
import { waitUntil } from "../support/ws-subscriber.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";

const StartBulk = graphql(`
  mutation BulkCrashStart($input: StartBulkOperationInput!) {
    startBulkOperation(input: $input) {
      __typename
      ... on BulkOperation { id total }
      ... on Error { code message }
    }
  }
`);

const RUNS = 24;
// Lease and sweep short, so that the resume comes quickly; chunks of 4 with a pause between them,
// so that the kill lands in the middle of the operation.
const ENGINE = { ENGINE_LEASE_MS: "1000", ENGINE_SWEEP_INTERVAL_MS: "200" };
const WORKER = { ...ENGINE, BULK_OPERATION_CHUNK_SIZE: "4", BULK_OPERATION_PAUSE_MS: "400" };

describe("a bulk operation whose worker dies", () => {
  let app: TestApp;
  let fleet: WorkerFleet;

  beforeAll(async () => {
    app = await startTestApp({ ...ENGINE, RUN_WORKER: "false" });
    fleet = createWorkerFleet(app.database.url, WORKER);
  });
  afterAll(async () => {
    await fleet?.stop();
    await app?.stop();
  });

  it("resumes on another worker and retries every run exactly once", async () => {
    const first = await fleet.start("A");
    const workflowId = await createWorkflow(app, { steps: [{ id: "boom", type: "fail", config: { message: "boom" } }] });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push(rowId(await startRunId(app, workflowId, { i })));
    const db = app.app.db;
    await waitUntil("every run failed", async () => (await db.execution.count({ where: { status: "FAILED" } })) === RUNS, 60_000);

    const { startBulkOperation: op } = await app.query(StartBulk, { input: { kind: "RETRY", filter: { workflowId } } });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    expect(op.total).toBe(RUNS);
    const operationId = decodeIdOf("BulkOperation", op.id);
    const progress = async () => (await db.bulkOperation.findUniqueOrThrow({ where: { id: operationId } })).processed;
    await waitUntil("the first chunk is done", async () => (await progress()) >= 4, 60_000);
    await first.kill();
    const atKill = await progress();
    expect(atKill).toBeLessThan(RUNS);
    // What the dead worker committed is exactly what is marked: one retry per marked run.
    expect(await db.execution.count({ where: { retryOfId: { in: ids } } })).toBe(atKill);

    await fleet.start("B");
    await waitUntil(
      "the operation completes",
      async () => (await db.bulkOperation.findUniqueOrThrow({ where: { id: operationId } })).status === "COMPLETED",
      60_000,
    );
    const done = await db.bulkOperation.findUniqueOrThrow({ where: { id: operationId } });
    expect(done).toMatchObject({ total: RUNS, processed: RUNS, succeeded: RUNS, failed: 0 });
    const retries = await db.execution.groupBy({ by: ["retryOfId"], where: { retryOfId: { in: ids } }, _count: true });
    expect(retries).toHaveLength(RUNS);
    expect(retries.every((r) => r._count === 1)).toBe(true);
    // Each target's mark names the retry it made.
    const targets = await db.bulkOperationTarget.findMany({ where: { operationId } });
    expect(targets.every((t) => t.outcome === "SUCCEEDED" && t.resultId)).toBe(true);
    const made = await db.execution.findMany({ where: { retryOfId: { in: ids } }, select: { id: true } });
    expect(new Set(targets.map((t) => t.resultId))).toEqual(new Set(made.map((r) => r.id)));
  });
  it("is handed back when its worker stops between chunks, and another worker cancels the rest, each run once", async () => {
    const worker = fleet.started.find((w) => w.alive()) ?? (await fleet.start("C"));
    const workflowId = await createWorkflow(app, { steps: [{ id: "nap", type: "delay", config: { ms: 600_000 } }] });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push(rowId(await startRunId(app, workflowId, { i })));
    const db = app.app.db;
    await waitUntil("every run sleeps", async () => (await db.step.count({ where: { executionId: { in: ids }, wakeAt: { not: null } } })) === RUNS, 60_000);

    const { startBulkOperation: op } = await app.query(StartBulk, {
      input: { kind: "CANCEL", filter: { workflowId }, reason: "drill" },
    });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    const operationId = decodeIdOf("BulkOperation", op.id);
    const read = () => db.bulkOperation.findUniqueOrThrow({ where: { id: operationId } });
    await waitUntil("the first chunk is done", async () => (await read()).processed >= 4, 60_000);
    // A graceful stop (SIGTERM): the worker ends the operation's work between two targets.
    worker.process.child.kill("SIGTERM");
    await worker.process.exited;
    const stopped = await read();
    expect(stopped.processed).toBeLessThan(RUNS);
    expect(stopped.leaseOwner).toBeNull();

    await fleet.start("D");
    await waitUntil("the operation completes", async () => (await read()).status === "COMPLETED", 60_000);
    expect(await read()).toMatchObject({ total: RUNS, processed: RUNS, succeeded: RUNS, failed: 0 });
    const cancels = await db.executionEvent.groupBy({
      by: ["executionId"],
      where: { executionId: { in: ids }, type: "EXECUTION_CANCELLED" },
      _count: true,
    });
    expect(cancels).toHaveLength(RUNS);
    expect(cancels.every((c) => c._count === 1)).toBe(true);
  });
});
