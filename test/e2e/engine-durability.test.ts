// A worker killed with SIGKILL mid-run loses nothing: another worker resumes the run from its
// persisted state; completed steps are not re-run; the step that was RUNNING runs its attempt
// again (at-least-once) without using a retry, and a delay waits only for the time it has left;
// events stay gapless.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, expectGapless, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

describe("a worker killed mid-run", () => {
  let app: TestApp;
  const workers: ServerProcess[] = [];
  const startWorker = async () => {
    const worker = startServerProcess(
      {
        NODE_ENV: "test",
        DATABASE_URL: app.database.url,
        ENGINE_LEASE_MS: "1000",
        ENGINE_SWEEP_INTERVAL_MS: "200",
      },
      "src/main.ts",
      ["--worker"],
    );
    workers.push(worker);
    await worker.waitFor(/worker ready/);
    return worker;
  };

  beforeAll(async () => {
    // This process only serves the API; the jobs run in the child workers.
    app = await startTestApp({ RUN_WORKER: "false" });
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await app.stop();
  });

  it("is resumed by another worker without losing or doubling a step", { timeout: 90_000 }, async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "first", type: "transform", config: { output: "done once" } },
        { id: "long", type: "delay", dependsOn: ["first"], config: { ms: 3000 } },
        { id: "last", type: "log", dependsOn: ["long"], config: { message: "after {{steps.first.output}}" } },
      ],
    });
    const doomed = await startWorker();
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).long?.status === "RUNNING");
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    const killedAt = Date.now();

    await startWorker();
    const run = await waitForRun(app, id, undefined, 60_000);
    expect(run.status).toBe("COMPLETED");
    const steps = stepsByKey(run);
    expect(steps.first?.attempt).toBe(1);
    // The worker's death is not the step's failure: the same attempt ran again.
    expect(steps.long?.attempt).toBe(1);
    const lost = run.events.edges.filter((e) => e.node.type === "STEP_RETRYING").map((e) => e.node.step?.key);
    expect(lost).toEqual(["long"]);
    const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
    const timeline = await app.app.db.executionEvent.findMany({
      where: { executionId: uuid, type: { in: ["STEP_STARTED", "STEP_RETRYING", "STEP_COMPLETED"] }, step: { key: "long" } },
      orderBy: { sequence: "asc" },
      select: { type: true, at: true, data: true },
    });
    expect(timeline.map((e) => e.type)).toEqual(["STEP_STARTED", "STEP_RETRYING", "STEP_STARTED", "STEP_COMPLETED"]);
    expect(timeline[1]?.data).toMatchObject({ attempt: 1, workerLosses: 1, error: { code: "WORKER_LOST" } });
    // The delay resumed with the time it had left, not another full 3 s.
    const [firstStart, , rerun, completed] = timeline.map((e) => e.at.getTime()) as [number, number, number, number];
    const left = Math.max(0, firstStart + 3000 - rerun);
    expect(completed - rerun).toBeLessThan(left + 1000);
    expect(completed - firstStart).toBeGreaterThanOrEqual(3000);
    expect(killedAt).toBeGreaterThan(firstStart);
    expect(steps.last?.status).toBe("COMPLETED");
    expectGapless(run);
    // Each step completed exactly once.
    const completions = run.events.edges.filter((e) => e.node.type === "STEP_COMPLETED").map((e) => e.node.step?.key);
    expect(completions.sort()).toEqual(["first", "last", "long"]);
    const started = run.events.edges.filter((e) => e.node.type === "STEP_STARTED").map((e) => e.node.step?.key);
    expect(started.filter((k) => k === "first")).toHaveLength(1);
    expect(started.filter((k) => k === "long")).toHaveLength(2);
  });
});
