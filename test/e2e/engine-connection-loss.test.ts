// Every database session cut at once while runs are in flight (pg_terminate_backend, as an
// operator or a failover would): the worker process reconnects and stays up, the API in this
// process keeps answering, and every run completes — none FAILED, no step done twice, events
// gapless — with the runs moving again within 10 s. The app sets no application_name, so its
// sessions cannot be told apart: all are cut but the admin connection that cuts them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { terminateConnections } from "../support/database.ts";
import {
  durabilityViolations,
  eventTimelines,
  NO_VIOLATIONS,
  recoveryAfter,
  rowId,
  waitForRunning,
  waitForRunsToFinish,
} from "../support/durability.ts";
import { createWorkflow, startRun, startRunId } from "../support/engine.ts";
import { pauseFor } from "../support/random.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";

const RECOVERY_LIMIT_MS = 10_000;
// About 3 s a run, one batch of parallel steps; no `retry`, so a lost step may not fail the run.
const definition = {
  steps: [
    { id: "receive", type: "transform", config: { output: { received: true } } },
    { id: "validate", type: "delay", dependsOn: ["receive"], config: { ms: 600 } },
    { id: "charge", type: "delay", dependsOn: ["validate"], config: { ms: 800 } },
    { id: "reserve", type: "delay", dependsOn: ["validate"], config: { ms: 400 } },
    { id: "record", type: "transform", dependsOn: ["charge", "reserve"], config: { output: "recorded" } },
    { id: "ship", type: "delay", dependsOn: ["record"], config: { ms: 700 } },
    { id: "notify", type: "delay", dependsOn: ["ship"], config: { ms: 300 } },
  ],
};

async function startAfterCut(app: TestApp, workflowId: string, n: number, onFailure: () => void): Promise<string> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    try {
      const result = await startRun(app, workflowId, { n: 100 + n }, `after-cut-${n}`);
      if (result.__typename === "StartExecutionSuccess") return result.execution.id;
      throw new Error(JSON.stringify(result));
    } catch (error) {
      onFailure();
      if (Date.now() > deadline) throw error;
      await pauseFor(100);
    }
  }
}

describe("database connections cut under a worker", () => {
  let app: TestApp;
  let fleet: WorkerFleet;

  beforeAll(async () => {
    app = await startTestApp({ RUN_WORKER: "false" });
    fleet = createWorkerFleet(app.database.url);
  });
  afterAll(async () => {
    await fleet?.stop();
    await app?.stop();
  });

  it("reconnects, and every run completes", { timeout: 60_000 }, async () => {
    const db = app.database.db;
    const workflowId = await createWorkflow(app, definition);
    const worker = await fleet.start("W");

    // Staggered, so that the cut finds runs in different places: queued, mid-step, between batches.
    const before: string[] = [];
    for (let i = 0; i < 8; i++) {
      before.push(await startRunId(app, workflowId, { n: i }));
      await pauseFor(250);
    }
    expect(await waitForRunning(db, before.map(rowId), 4, 10_000)).toBe(true);

    const cutAt = Date.now();
    const terminated = await terminateConnections(app.database);
    const cutDone = Date.now();

    // New work after the cut: the worker must find it on its new connections (LISTEN included).
    // The API must keep serving too; a request that races the cut may fail, so each start is
    // retried (with an idempotency key, so a retry cannot start a second run) for up to 3 s.
    const after: string[] = [];
    let failedRequests = 0;
    for (let i = 0; i < 3; i++) after.push(await startAfterCut(app, workflowId, i, () => (failedRequests += 1)));

    const runs = [...before, ...after];
    const ids = runs.map(rowId);
    const statuses = await waitForRunsToFinish(db, ids, cutDone + 30_000);
    const finishedAt = Date.now();
    const timelines = await eventTimelines(db, ids);
    // No process died: the cut is the disruption, and nothing is restarted.
    const recovery = recoveryAfter(timelines, { deadAt: cutDone, restartedAt: cutDone });
    const violations = await durabilityViolations(app, runs);
    const errorLines = worker.process.output().split("\n").filter((line) => /error|fail/i.test(line));

    const count = (status: string) => [...statuses.values()].filter((s) => s === status).length;
    console.log(
      `connection loss: ${terminated} sessions terminated in ${cutDone - cutAt} ms ` +
        `with ${recovery.inFlight} runs in flight; ${count("COMPLETED")}/${runs.length} completed, ` +
        `${count("FAILED")} failed, after ${finishedAt - cutDone} ms; ` +
        `recovery ${Number.isFinite(recovery.recoveryMs) ? `${recovery.recoveryMs} ms` : "never"}; ` +
        `${failedRequests} API requests failed after the cut; ` +
        `worker ${worker.alive() ? "alive" : "exited"}, ${errorLines.length} error lines` +
        (errorLines.length > 0 ? `, first: ${errorLines[0]?.slice(0, 200)}` : ""),
    );

    if (!worker.alive()) {
      const { exitCode, signalCode } = worker.process.child;
      const tail = worker.process.output().split("\n").slice(-25).join("\n");
      console.log(`worker exited (${exitCode ?? signalCode}); its last output:\n${tail}`);
    }
    expect({
      ...violations,
      workerAlive: worker.alive(),
      slowRecovery: recovery.recoveryMs > RECOVERY_LIMIT_MS ? recovery.recoveryMs : null,
    }).toEqual({ ...NO_VIOLATIONS, workerAlive: true, slowRecovery: null });
    // The cut really hit the worker: it had sessions open and runs in flight.
    expect(terminated).toBeGreaterThan(1);
    expect(recovery.inFlight).toBeGreaterThan(0);
  });
});
