// A worker process loses its database for 15 s while runs are in flight. It must stay alive, say
// so once (not once per failed connection), wait instead of polling, and carry on afterwards.
// Before: graphile-worker's unawaited completeJob/failJob rejected and the process exited within
// a second, having logged a pg Client dump per dropped connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, type Detail, startRunId, waitForRun } from "../support/engine.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

const OUTAGE_MS = 15_000;
const FINAL = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];

describe("a worker whose database goes away for 15 s", () => {
  let app: TestApp;
  let proxy: TcpProxy;
  let worker: ServerProcess;
  let inFlight: Detail[] = [];

  beforeAll(async () => {
    // This process serves the API over a direct connection; only the worker goes through the proxy.
    app = await startTestApp({ RUN_WORKER: "false" });
    const direct = new URL(app.database.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(app.database.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    worker = startServerProcess(
      {
        NODE_ENV: "test",
        DATABASE_URL: viaProxy.toString(),
        WORKER_CONCURRENCY: "4",
        ENGINE_LEASE_MS: "2000",
        ENGINE_SWEEP_INTERVAL_MS: "250",
      },
      "src/main.ts",
      ["--worker"],
    );
    await worker.waitFor(/worker ready/);
  });
  afterAll(async () => {
    worker?.child.kill("SIGKILL");
    await worker?.exited;
    await proxy?.stop();
    await app?.stop();
  });

  it("survives, logs the outage once and its end once, waits, and carries on", { timeout: 50_000 }, async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "a", type: "delay", config: { ms: 1500 } },
        { id: "b", type: "delay", dependsOn: ["a"], config: { ms: 1500 } },
      ],
    });
    const ids = await Promise.all(Array.from({ length: 6 }, () => startRunId(app, workflowId)));
    await waitForRun(app, ids[0] as string, (run) => run.status === "RUNNING");
    const logBefore = worker.output().length;

    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    expect(worker.child.exitCode, worker.output()).toBeNull();
    // Waiting, not polling: a probe with back-off (about 10 in 15 s) and the connections the
    // in-flight runs try to open; graphile-worker alone polled every 500 ms per worker.
    expect(proxy.attemptsWhileCut()).toBeLessThan(40);
    proxy.restore();

    inFlight = await Promise.all(ids.map((id) => waitForRun(app, id, undefined, 25_000)));
    for (const run of inFlight) expect(FINAL).toContain(run.status);
    // New work is taken up again.
    const after = await waitForRun(app, await startRunId(app, workflowId), undefined, 15_000);
    expect(after.status).toBe("COMPLETED");

    expect(worker.child.exitCode, worker.output()).toBeNull();
    // The worker logs JSON lines (NODE_ENV=test); their messages are what this test reads.
    const lines = worker
      .output()
      .slice(logBefore)
      .trim()
      .split("\n")
      .map((line) => (line.startsWith("{") ? String((JSON.parse(line) as { msg?: unknown }).msg) : line));
    expect(lines, lines.join("\n")).toEqual([
      expect.stringMatching(/^database unreachable: .+ \(\w+ pool\)$/),
      expect.stringMatching(/^database reachable again after \d+\.\d s$/),
    ]);
  });

  it("stops on SIGTERM while the database is away", { timeout: 20_000 }, async () => {
    const logBefore = worker.output().length;
    proxy.cut();
    await worker.waitFor(/database unreachable/, 10_000, logBefore);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  // A step that was RUNNING when the connection broke runs its attempt again (a worker loss, not
  // a failure): nothing the outage touched fails.
  it("fails no run because of the outage", () => {
    expect(inFlight).toHaveLength(6);
    for (const run of inFlight) expect(run.status).toBe("COMPLETED");
  });
});
