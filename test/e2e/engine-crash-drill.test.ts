// The crash drill: two worker processes, each killed with SIGKILL twice at random moments while
// 30 runs go through them, and replaced by a new process each time. With the engine's default lease,
// heartbeat and sweep settings (none is overridden here), a crash must be invisible: every run
// completes, no step completes twice, events stay gapless, an interrupted step is re-run without
// using its retry budget (the steps have none), and the runs a dead worker held move again within
// 10 s of its restart. The moments come from a logged seed: DRILL_SEED=<seed> replays them (the
// timing of the machine is not replayed, so a replay is close, not identical).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Disruption,
  durabilityViolations,
  eventTimelines,
  NO_VIOLATIONS,
  recoveryAfter,
  rowId,
  waitForRunning,
  waitForRunsToFinish,
  workerLostRetries,
} from "../support/durability.ts";
import { createWorkflow, startRunId } from "../support/engine.ts";
import { createRandom, drillSeed, pauseFor } from "../support/random.ts";
import { createWorkerFleet, type WorkerFleet, type WorkerProcess } from "../support/workers.ts";

const RUNS = 30;
const RECOVERY_LIMIT_MS = 10_000;
// Eight batches, about 4.5 s a run; no step has a `retry`, so only a worker loss may re-run one.
const definition = {
  steps: [
    { id: "receive", type: "transform", config: { output: { received: true } } },
    { id: "validate", type: "delay", dependsOn: ["receive"], config: { ms: 700 } },
    { id: "charge", type: "delay", dependsOn: ["validate"], config: { ms: 800 } },
    { id: "reserve", type: "delay", dependsOn: ["validate"], config: { ms: 500 } },
    { id: "score", type: "transform", dependsOn: ["validate"], config: { output: 42 } },
    { id: "confirm", type: "delay", dependsOn: ["charge", "reserve", "score"], config: { ms: 600 } },
    { id: "record", type: "transform", dependsOn: ["confirm"], config: { output: "recorded" } },
    { id: "ship", type: "delay", dependsOn: ["record"], config: { ms: 800 } },
    { id: "notify", type: "delay", dependsOn: ["ship"], config: { ms: 300 } },
    { id: "audit", type: "delay", dependsOn: ["ship"], config: { ms: 700 } },
    { id: "archive", type: "delay", dependsOn: ["notify", "audit"], config: { ms: 500 } },
  ],
};
// A run starts about every 950 ms (a seeded jitter of up to 400 ms added), so that the 30 runs go
// on through the kills (each kill waits for the previous replacement to be ready, and a worker
// process takes 3-8 s to boot on a busy machine) with about 5 in flight at a time: enough that
// both workers hold some at every kill. On a schedule, not as runs finish: stalled runs must not
// hold the next starts back and stretch the drill.
const START_EVERY_MS = 950;
// No run may wait for a slot (see recoveryAfter), also when the runs stalled by a kill pile up on
// the surviving worker (on a busy machine 10 were seen in flight, the default concurrency). A job
// waiting in a busy worker's local queue is locked to it: when that worker is killed too, the run
// waits for a second lease. That compound failure is the engine working as documented, not a slow
// recovery; with WORKER_CONCURRENCY=3 the drill showed it at 12-13 s (CI once at 12.8 s).
const WORKER_CONCURRENCY = String(RUNS);

describe("crash drill", () => {
  let app: TestApp;
  let fleet: WorkerFleet;

  beforeAll(async () => {
    // This process only serves the API; the jobs run in the worker processes.
    app = await startTestApp({ RUN_WORKER: "false" });
    fleet = createWorkerFleet(app.database.url, { WORKER_CONCURRENCY });
  });
  afterAll(async () => {
    await fleet?.stop();
    await app?.stop();
  });

  it("every run completes though each worker is killed twice", { timeout: 75_000 }, async () => {
    const drillStart = Date.now();
    const seed = drillSeed();
    console.log(`crash drill: seed ${seed} (replay with DRILL_SEED=${seed})`);
    // One stream for the run starts, one for the kills: the two loops run concurrently, and a
    // shared stream would be consumed in an order that depends on timing.
    const startRandom = createRandom(seed);
    const killRandom = createRandom(seed ^ 0x9e3779b9);
    const db = app.database.db;
    const workflowId = await createWorkflow(app, definition);
    const workers = new Map<string, WorkerProcess>(
      await Promise.all(["A", "B"].map(async (name) => [name, await fleet.start(name)] as const)),
    );

    const runs: string[] = [];
    const ids: string[] = [];
    const starting = (async () => {
      const first = Date.now();
      for (let i = 0; i < RUNS; i++) {
        const at = first + i * START_EVERY_MS + startRandom.between(0, 400);
        if (at > Date.now()) await pauseFor(at - Date.now());
        const id = await startRunId(app, workflowId, { n: i });
        runs.push(id);
        ids.push(rowId(id));
      }
    })();

    const kills: (Disruption & { worker: string; bootMs: number; running: boolean })[] = [];
    for (const name of killRandom.shuffle(["A", "A", "B", "B"])) {
      await pauseFor(killRandom.between(300, 1500));
      // A kill with nothing in flight proves little; with the starts above this holds at once.
      const running = await waitForRunning(db, ids, 3, 5_000);
      const deadAt = await (workers.get(name) as WorkerProcess).kill();
      const replacement = await fleet.start(name);
      workers.set(name, replacement);
      kills.push({
        worker: name,
        deadAt,
        restartedAt: replacement.spawnedAt,
        bootMs: replacement.readyAt - replacement.spawnedAt,
        running,
      });
    }
    await starting;

    const lastRestart = Math.max(...kills.map((k) => k.restartedAt));
    // Long enough to see what a slow recovery does to the runs (the engine before the rewrite,
    // lease 15 s + sweep 10 s, fails them within 25 s), within the test's budget.
    const statuses = await waitForRunsToFinish(db, ids, Math.min(Date.now() + 30_000, drillStart + 64_000));
    const timelines = await eventTimelines(db, ids);
    const recoveries = kills.map((kill) => ({ ...kill, ...recoveryAfter(timelines, kill) }));
    const violations = await durabilityViolations(app, runs);

    const count = (status: string) => [...statuses.values()].filter((s) => s === status).length;
    const [completed, failed] = [count("COMPLETED"), count("FAILED")];
    const ms = (value: number) => (Number.isFinite(value) ? `${value} ms` : "never");
    console.log(
      [
        `crash drill: ${RUNS} runs, ${kills.length} kills in ${Math.round((lastRestart - drillStart) / 1000)} s; ` +
          `${completed} completed, ${failed} failed, ${RUNS - completed - failed} other; ` +
          `${workerLostRetries(timelines)} WORKER_LOST retries`,
        ...recoveries.map(
          (r, i) =>
            `  kill ${i + 1}: worker ${r.worker} at +${((r.deadAt - drillStart) / 1000).toFixed(1)} s, ` +
            `${r.inFlight} runs in flight${r.running ? "" : " (fewer than 3 running)"}, ` +
            `${r.interrupted} resumed with WORKER_LOST, replacement ready in ${r.bootMs} ms, ` +
            `recovery ${ms(r.recoveryMs)}${r.slowest ? ` (slowest run ${r.slowest})` : ""}`,
        ),
      ].join("\n"),
    );

    // A slow recovery carries what is needed to tell why: the slowest run's events and every
    // kill, in ms since the drill started.
    const since = (at: number) => at - drillStart;
    const schedule = kills.map((k) => `${k.worker} dead ${since(k.deadAt)}, respawned ${since(k.restartedAt)}, ready +${k.bootMs}`);
    const slowRecoveries = recoveries
      .filter((r) => r.recoveryMs > RECOVERY_LIMIT_MS)
      .map((r) => ({
        worker: r.worker,
        recoveryMs: r.recoveryMs,
        slowest: r.slowest,
        events: (timelines.get(r.slowest ?? "") ?? []).map((e) => `${since(e.at)} ${e.type}${e.errorCode ? ` ${e.errorCode}` : ""}`),
        kills: schedule,
      }));
    const deadWorkers = [...workers.values()].filter((w) => !w.alive()).map((w) => w.name);
    expect({ ...violations, slowRecoveries, deadWorkers }).toEqual({
      ...NO_VIOLATIONS,
      slowRecoveries: [],
      deadWorkers: [],
    });
    // The one visible trace of a crash, and the proof that the kills hit steps mid-run.
    expect(workerLostRetries(timelines)).toBeGreaterThan(0);
  });
});
