// A worker killed with SIGKILL mid-run loses nothing: another worker resumes the run from its
// persisted state; completed steps are not re-run; the step that was RUNNING runs again under its
// retry policy (at-least-once); events stay gapless.
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
        { id: "long", type: "delay", dependsOn: ["first"], retry: { maxAttempts: 3, backoffMs: 0 }, config: { ms: 3000 } },
        { id: "last", type: "log", dependsOn: ["long"], config: { message: "after {{steps.first.output}}" } },
      ],
    });
    const doomed = await startWorker();
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).long?.status === "RUNNING");
    doomed.child.kill("SIGKILL");
    await doomed.exited;

    await startWorker();
    const run = await waitForRun(app, id, undefined, 60_000);
    expect(run.status).toBe("COMPLETED");
    const steps = stepsByKey(run);
    expect(steps.first?.attempt).toBe(1);
    expect(steps.long?.attempt).toBe(2);
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
