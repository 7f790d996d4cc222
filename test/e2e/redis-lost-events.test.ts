// Events lost with Redis: an API-only process serves the subscribers, a worker process runs the
// run, and the API process's Redis connection is cut mid-run, so the worker's publishes never reach
// it. Every subscriber still completes with every event: when the connection is back (the bus
// rechecks every stream), or, while it stays cut, within the idle recheck interval. Before: they
// stayed open forever with the events they had before the cut.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { deliveryGroupStats } from "../../src/realtime/delivery-groups.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId } from "../support/engine.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";
import { subscribeOverWs, waitUntil, type WsSubscriber } from "../support/ws-subscriber.ts";
import { silentLogger } from "../support/logs.ts";

const redis = new URL(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");

const Events = graphql(`
  subscription LostEvents($executionId: ID!) {
    executionEvents(executionId: $executionId, afterSequence: 0) { sequence type }
  }
`);

const Updated = graphql(`
  subscription LostUpdated($id: ID!) {
    executionUpdated(id: $id) { id status }
  }
`);

const Steps = graphql(`
  subscription LostSteps($executionId: ID!) {
    stepCompleted(executionId: $executionId) { key status }
  }
`);

// Sleeps first (the subscribers connect and see the start), then more steps after the cut.
const WORKFLOW = {
  steps: [
    { id: "wait", type: "delay", config: { ms: 1500 } },
    { id: "a", type: "log", config: { message: "a" }, dependsOn: ["wait"] },
    { id: "b", type: "log", config: { message: "b" }, dependsOn: ["wait"] },
    { id: "pause", type: "delay", config: { ms: 300 }, dependsOn: ["a", "b"] },
    { id: "c", type: "log", config: { message: "c" }, dependsOn: ["pause"] },
  ],
};
const STEP_KEYS = ["a", "b", "c", "pause", "wait"];

type Watchers = {
  events: WsSubscriber<{ executionEvents: { sequence: number; type: string } }>[];
  updated: WsSubscriber<{ executionUpdated: { id: string; status: string } }>[];
  steps: WsSubscriber<{ stepCompleted: { key: string; status: string } }>[];
};

function watch(url: string, id: string, n: number): Watchers {
  const many = <T, V extends Record<string, unknown>>(document: TypedDocumentNode<T, V>, variables: V) =>
    Array.from({ length: n }, () => subscribeOverWs(url, document, variables));
  return {
    events: many(Events, { executionId: id }),
    updated: many(Updated, { id }),
    steps: many(Steps, { executionId: id }),
  };
}

const all = (w: Watchers) => [...w.events, ...w.updated, ...w.steps];

let primary: TestApp;
let fleet: WorkerFleet;

beforeAll(async () => {
  // The API process of the first scenario owns the database; the worker process shares it and
  // talks to Redis directly.
  primary = await startTestApp({ RUN_WORKER: "false", REDIS_URL: redis.toString(), SUBSCRIPTION_IDLE_RECHECK_MS: "0" });
  fleet = createWorkerFleet(primary.database.url, { REDIS_URL: redis.toString() });
  await fleet.start("W");
}, 90_000);
afterAll(async () => {
  await fleet?.stop();
  await primary?.stop();
});

/** An API-only app on the shared database whose Redis goes through a proxy the test can cut. */
async function apiBehindProxy(idleRecheckMs: number): Promise<{ app: App; url: string; proxy: TcpProxy }> {
  const proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
  const app = await createApp(
    loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: primary.database.url,
      RUN_WORKER: "false",
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      SUBSCRIPTION_IDLE_RECHECK_MS: String(idleRecheckMs),
    }),
    { log: silentLogger() },
  );
  const { url } = await app.start(0, "127.0.0.1");
  return { app, url, proxy };
}

async function lastSequence(uuid: string): Promise<{ status: string; lastEventSequence: number }> {
  return primary.database.db.execution.findUniqueOrThrow({ where: { id: uuid }, select: { status: true, lastEventSequence: true } });
}

/** Starts a run with `n` subscribers of each kind, cuts Redis once they are live, waits for the run to finish. */
async function runWithCut(api: { app: App; url: string; proxy: TcpProxy }, n: number) {
  const workflowId = await createWorkflow(primary, WORKFLOW);
  const id = await startRunId(primary, workflowId);
  const uuid = Buffer.from(id, "base64url").toString("utf8").split(":")[1] as string;
  const watchers = watch(api.url, id, n);
  // Those that have caught up with an identical one may wait for it instead (a delivery group).
  await waitUntil("every subscription to listen or park", () => api.app.events.listenerCount() + deliveryGroupStats.parked === 3 * n);
  // Live: the run has started and the subscribers have what it wrote so far.
  await waitUntil("the first events", () => watchers.events.every((s) => s.data.length >= 2), 20_000);
  api.proxy.cut();
  await waitUntil("the run to finish", async () => (await lastSequence(uuid)).status === "COMPLETED", 30_000);
  return { id, uuid, watchers };
}

async function expectEverything(uuid: string, id: string, watchers: Watchers, ms: number) {
  await waitUntil("every subscriber to complete", () => all(watchers).every((s) => s.completed), ms);
  const { lastEventSequence } = await lastSequence(uuid);
  for (const s of all(watchers)) expect(s.errors).toEqual([]);
  for (const s of watchers.events) {
    expect(s.data.map((d) => d.executionEvents.sequence)).toEqual(Array.from({ length: lastEventSequence }, (_, i) => i + 1));
  }
  for (const s of watchers.updated) expect(s.data.at(-1)?.executionUpdated).toEqual({ id, status: "COMPLETED" });
  for (const s of watchers.steps) expect(s.data.map((d) => d.stepCompleted.key).sort()).toEqual(STEP_KEYS);
}

describe("subscribers whose process lost events with its Redis connection", () => {
  it("complete with every event once the connection is back (no idle recheck)", { timeout: 90_000 }, async () => {
    const api = await apiBehindProxy(0);
    try {
      const { id, uuid, watchers } = await runWithCut(api, 3);
      // Nothing reaches them while cut: the run's end is among what was lost.
      expect(all(watchers).some((s) => !s.completed)).toBe(true);
      api.proxy.restore();
      await expectEverything(uuid, id, watchers, 20_000);
      await Promise.all(all(watchers).map((s) => s.stop()));
      await waitUntil("every subscription released", () => api.app.events.listenerCount() === 0);
    } finally {
      await api.app.stop();
      await api.proxy.stop();
    }
  });

  it("complete with every event while the connection stays cut, by the idle recheck", { timeout: 90_000 }, async () => {
    const api = await apiBehindProxy(500);
    try {
      const { id, uuid, watchers } = await runWithCut(api, 3);
      await expectEverything(uuid, id, watchers, 20_000);
      await Promise.all(all(watchers).map((s) => s.stop()));
      await waitUntil("every subscription released", () => api.app.events.listenerCount() === 0);
    } finally {
      await api.app.stop();
      await api.proxy.stop();
    }
  });
});
