// A worker started on its own (`src/main.ts --worker`, as `npm run worker`) serves its metrics on
// METRICS_PORT, guarded by METRICS_TOKEN like the API's: the runs it executes show there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { metric, parseMetrics } from "../support/metrics.ts";
import { type ServerProcess, startServerProcess } from "../support/process.ts";

const TOKEN = "worker-metrics-token-0123456789";

let app: TestApp;
let worker: ServerProcess;
let url: string;

beforeAll(async () => {
  // The API serves GraphQL only; the runs are the worker process's.
  app = await startTestApp({ RUN_WORKER: "false" });
  worker = startServerProcess({ NODE_ENV: "test", DATABASE_URL: app.database.url, METRICS_TOKEN: TOKEN, METRICS_PORT: "0" }, "src/main.ts", [
    "--worker",
  ]);
  const ready = await worker.waitFor(/worker ready .*metrics at (http:\/\/\S+?)\)/, 60_000);
  url = ready[1] as string;
}, 90_000);
afterAll(async () => {
  worker?.child.kill("SIGTERM");
  await worker?.exited;
  await app?.stop();
});

const scrape = async () => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
};

describe("a worker's own metrics", () => {
  it("count the runs and steps it executes, and its events' commit delay", async () => {
    const before = await scrape();
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "transform", config: { output: 1 } }] });
    const id = await startRunId(app, workflowId);
    expect((await waitForRun(app, id)).status).toBe("COMPLETED");
    const after = await scrape();
    const completed = { type: "transform", outcome: "completed" };
    expect(metric(after, "stepstream_steps_total", completed) - metric(before, "stepstream_steps_total", completed)).toBe(1);
    expect(metric(after, "stepstream_event_commit_delay_seconds_count")).toBeGreaterThan(metric(before, "stepstream_event_commit_delay_seconds_count"));
  });

  it("are refused without the token, and nothing else is served there", async () => {
    expect((await fetch(url)).status).toBe(401);
    const other = await fetch(new URL("/graphql", url), { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(other.status).toBe(404);
  });
});
