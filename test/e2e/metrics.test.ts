// /metrics: refused without METRICS_TOKEN or with a wrong one; with it, the numbers move as
// requests are served, runs execute, subscriptions open and close.
import { parse } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { metric, parseMetrics } from "../support/metrics.ts";
import { subscribeOverWs, waitUntil } from "../support/ws-subscriber.ts";

const TOKEN = "metrics-token-for-tests-0123456789";

let app: TestApp;
let off: TestApp;
let origin: string;

beforeAll(async () => {
  [app, off] = await Promise.all([startTestApp({ METRICS_TOKEN: TOKEN }), startTestApp()]);
  origin = new URL(app.url).origin;
});
afterAll(async () => {
  await Promise.all([app?.stop(), off?.stop()]);
});

const scrape = async () => {
  const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
};

const graphql = (query: string, operationName?: string) =>
  fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, operationName }),
  });

const Events = parse(
  "subscription MetricsEvents($id: ID!) { executionEvents(executionId: $id) { sequence type } }",
) as TypedDocumentNode<{ executionEvents: { sequence: number; type: string } }, { id: string }>;

describe("/metrics", () => {
  it("does not exist without METRICS_TOKEN", async () => {
    const res = await fetch(`${new URL(off.url).origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });

  it("refuses a missing or wrong token", async () => {
    for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: TOKEN }] as Record<string, string>[]) {
      const res = await fetch(`${origin}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("counts requests by operation name, type and status", async () => {
    const before = await scrape();
    const labels = { operation: "MetricsProbe", type: "query", status: "200" };
    for (let i = 0; i < 3; i += 1) expect((await graphql("query MetricsProbe { workflows(first: 1) { totalCount } }")).status).toBe(200);
    // Chosen by operationName among several operations.
    await graphql("query Other { __typename } mutation Nope { __typename }", "Other");
    const after = await scrape();
    const count = "stepstream_graphql_request_duration_seconds_count";
    expect(metric(after, count, labels) - metric(before, count, labels)).toBe(3);
    expect(metric(after, count, { operation: "Other", type: "query" }) - metric(before, count, { operation: "Other", type: "query" })).toBe(1);
    expect(metric(after, "stepstream_graphql_request_duration_seconds_sum", labels)).toBeGreaterThan(0);
  });

  it("counts queries over WebSocket too", async () => {
    const WsProbe = parse("query WsProbe { __typename }") as TypedDocumentNode<{ __typename: string }, Record<string, never>>;
    const client = subscribeOverWs(app.url, WsProbe, {});
    await waitUntil("the query answers", () => client.completed);
    await client.stop();
    expect(metric(await scrape(), "stepstream_graphql_request_duration_seconds_count", { operation: "WsProbe", status: "ws" })).toBe(1);
  });

  it("counts steps by type and outcome, runs, events, queue lag, subscriptions and pool use", async () => {
    const before = await scrape();
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "shape", type: "transform", config: { output: { ok: true } } },
        { id: "wait", type: "delay", dependsOn: ["shape"], config: { ms: 300 } },
        { id: "oops", type: "fail", dependsOn: ["shape"], critical: false, config: { message: "expected" } },
      ],
      retry: { maxAttempts: 1 },
    });
    const id = await startRunId(app, workflowId);
    const subscriber = subscribeOverWs(app.url, Events, { id });
    await waitUntil("the subscription is counted", async () => metric(await scrape(), "stepstream_active_subscriptions") === 1);
    expect(metric(await scrape(), "stepstream_websocket_connections")).toBe(1);
    expect((await waitForRun(app, id)).status).toBe("COMPLETED");
    await waitUntil("the subscription completes", () => subscriber.completed);
    await subscriber.stop();
    await waitUntil("the subscription is no longer counted", async () => metric(await scrape(), "stepstream_active_subscriptions") === 0);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => metric(after, name, labels) - metric(before, name, labels);
    expect(moved("stepstream_steps_total", { type: "transform", outcome: "completed" })).toBe(1);
    expect(moved("stepstream_steps_total", { type: "delay", outcome: "completed" })).toBe(1);
    expect(moved("stepstream_steps_total", { type: "fail", outcome: "failed" })).toBe(1);
    expect(moved("stepstream_run_duration_seconds_count", { status: "COMPLETED" })).toBe(1);
    expect(metric(after, "stepstream_run_duration_seconds_sum", { status: "COMPLETED" })).toBeGreaterThanOrEqual(0.3);
    expect(moved("stepstream_queue_lag_seconds_count", { task: "run-execution" })).toBeGreaterThanOrEqual(1);
    // Queued, started, 2 batches, 3 steps' events, completed: at least a dozen, each delivered once here.
    expect(moved("stepstream_events_published_total")).toBeGreaterThanOrEqual(10);
    // Each published event's age at its commit, once.
    expect(moved("stepstream_event_commit_delay_seconds_count")).toBe(moved("stepstream_events_published_total"));
    expect(moved("stepstream_event_commit_delay_seconds_bucket", { le: "+Inf" })).toBe(moved("stepstream_events_published_total"));
    expect(moved("stepstream_events_delivered_total")).toBe(subscriber.data.length);
    expect(subscriber.data.length).toBeGreaterThanOrEqual(10);
    expect(moved("stepstream_subscription_overflows_total")).toBe(0);
    for (const pool of ["app", "engine", "read", "list changes", "worker"]) {
      expect(metric(after, "stepstream_db_pool_connections", { pool, state: "total" })).toBeGreaterThanOrEqual(0);
      expect([...after.keys()].some((k) => k.includes(`pool="${pool}"`) && k.includes('state="waiting"'))).toBe(true);
    }
    expect(metric(after, "stepstream_db_pool_connections", { pool: "engine", state: "total" })).toBeGreaterThan(0);
  });

  it("counts a run cancelled after it started with its duration", async () => {
    const before = await scrape();
    const workflowId = await createWorkflow(app, { steps: [{ id: "wait", type: "delay", config: { ms: 4_000 } }] });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => run.status === "RUNNING");
    const res = await graphql(`mutation { cancelExecution(input: { id: "${id}", reason: "metrics test" }) { __typename } }`);
    expect(((await res.json()) as { data: { cancelExecution: { __typename: string } } }).data.cancelExecution.__typename).toBe(
      "CancelExecutionSuccess",
    );
    const after = await scrape();
    const count = "stepstream_run_duration_seconds_count";
    expect(metric(after, count, { status: "CANCELLED" }) - metric(before, count, { status: "CANCELLED" })).toBe(1);
  });
});
