// Subscribers of the same operation with the same variables share one resolution per event: the
// SQL statements an event costs do not grow with the number of subscribers (issue 9: 1,000 of
// them on one execution used to cost 1,000 reads of every event's payload). Once caught up with
// each other, they get each event from one of them (a delivery group), in order, as some leave.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/engine/events.ts";
import { deliveryGroupStats } from "../../src/realtime/delivery-groups.ts";
import { executionTopic } from "../../src/realtime/event-bus.ts";
import { wsTransportStats } from "../../src/realtime/ws-transport.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId } from "../support/engine.ts";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse, print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { subscribeOverWs, waitUntil, type WsSubscriber } from "../support/ws-subscriber.ts";

const Updated = graphql(`
  subscription SharingUpdated($id: ID!) {
    executionUpdated(id: $id) {
      id status
      progress { totalSteps completedSteps percent }
      steps(first: 10) { edges { node { key status } } }
    }
  }
`);

const Events = graphql(`
  subscription SharingEvents($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) { sequence type step { key status } }
  }
`);

const Changed = graphql(`
  subscription SharingChanged($filter: ExecutionFilter) {
    executionsChanged(filter: $filter) { id status workflow { name } }
  }
`);

let app: TestApp;
let id: string;
let uuid: string;

beforeAll(async () => {
  // No idle rechecks: their reads would be counted with the events'.
  app = await startTestApp({ SUBSCRIPTION_IDLE_RECHECK_MS: "0" });
  // One long delay: once asleep, every further event of this execution is one the test writes.
  const workflowId = await createWorkflow(app, { steps: [{ id: "sleep", type: "delay", config: { ms: 3_600_000 } }] });
  id = await startRunId(app, workflowId);
  uuid = Buffer.from(id, "base64url").toString("utf8").split(":")[1] as string;
  await waitUntil("the run to sleep", async () => {
    const step = await app.database.db.step.findFirst({ where: { executionId: uuid, key: "sleep" } });
    return step?.wakeAt != null;
  });
});
afterAll(() => app?.stop());

/** Writes `count` more events of the execution (as the engine would: rows, then one publish after commit). */
async function appendAndPublish(
  count = 1,
  { type = "EXECUTION_STARTED", dataBytes = 0 }: { type?: "EXECUTION_STARTED" | "EXECUTION_COMPLETED"; dataBytes?: number } = {},
): Promise<void> {
  const rows = await app.database.db.$queryRaw<EngineEvent[]>`
    WITH bumped AS (
      UPDATE "Execution" SET "lastEventSequence" = "lastEventSequence" + ${count}::int WHERE id = ${uuid}::uuid
      RETURNING id, "tenantId", status, "lastEventSequence" AS sequence
    )
    INSERT INTO "ExecutionEvent" ("tenantId", "executionId", sequence, type, "executionStatus", "stepId", data)
    SELECT b."tenantId", b.id, b.sequence - ${count}::int + g, ${type}::"ExecutionEventType", b.status, s.id,
      CASE WHEN ${dataBytes}::int > 0 THEN jsonb_build_object('blob', repeat('x', ${dataBytes}::int)) END
    FROM bumped b JOIN "Step" s ON s."executionId" = b.id AND s.key = 'sleep' CROSS JOIN generate_series(1, ${count}::int) g
    RETURNING id, "tenantId", "executionId", sequence, type, "executionStatus", "stepId", "batchId", at, data`;
  app.app.events.publish(rows.sort((a, b) => a.sequence - b.sequence));
}

/** Until no statement has been run for 300 ms. */
async function settled(): Promise<void> {
  for (let count = -1; count !== app.statements.length; ) {
    count = app.statements.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Statements and payload serializations per event with `n` subscribers on each of three subscriptions. */
async function perEvent(n: number): Promise<{ statements: number; serializations: number }> {
  const { lastEventSequence } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
  // The event subscribers come from three positions (as clients that reconnected at different
  // times): where a stream starts is no part of what an event resolves to.
  const subscribers: WsSubscriber<unknown>[][] = Array.from({ length: n }, (_, k) => [
    subscribeOverWs(app.url, Updated, { id }),
    subscribeOverWs(app.url, Events, { executionId: id, afterSequence: lastEventSequence - (k % 3) }),
    subscribeOverWs(app.url, Changed, { filter: { status: ["RUNNING"] } }),
  ]);
  const all = subscribers.flat();
  try {
    // Event subscribers that replayed the same event as another park in its delivery group.
    await waitUntil("every subscription to listen or park", () => app.app.events.listenerCount() + deliveryGroupStats.parked === 3 * n);
    // Subscribing reads (the execution, the log after afterSequence); let those finish.
    await settled();
    const events = 3;
    app.statements.length = 0;
    const serializedBefore = wsTransportStats.payloadSerializations;
    const replayed = all.map((s) => s.data.length);
    for (let i = 1; i <= events; i++) {
      await appendAndPublish();
      await waitUntil(`event ${i} at every subscriber`, () => all.every((s, k) => s.data.length >= (replayed[k] as number) + i));
    }
    expect(all.flatMap((s) => s.errors)).toEqual([]);
    // The worker's periodic statements (the sweep every ENGINE_SWEEP_INTERVAL_MS, the schedule poll
    // every SCHEDULE_POLL_MS) are not an event's cost, and fell into this window or not by timing alone.
    const periodic = /^\/\* (engine:(sweep|rollup|prune-changes)|jobs:schedule-poll) \*\//;
    return {
      statements: app.statements.filter((q) => !periodic.test(q)).length / events,
      serializations: (wsTransportStats.payloadSerializations - serializedBefore) / events,
    };
  } finally {
    await Promise.all(all.map((s) => s.stop()));
    await waitUntil("every subscription released", () => app.app.events.listenerCount(executionTopic(uuid)) === 0);
    await waitUntil("every subscription released", () => app.app.events.listenerCount() === 0);
  }
}

describe("subscribers with the same operation and variables", () => {
  it("cost the same SQL statements and serializations per event for 1 of them or 25", { timeout: 60_000 }, async () => {
    const one = await perEvent(1);
    const many = await perEvent(25);
    console.log(
      `per event: ${one.statements} SQL statements with 1 subscriber per subscription, ${many.statements} with 25; ` +
        `payloads serialized: ${one.serializations} and ${many.serializations}`,
    );
    expect(one.statements).toBeGreaterThan(0);
    expect(many.statements).toBe(one.statements);
    // One payload per subscription and event, however many sockets it went out on.
    expect(one.serializations).toBe(3);
    expect(many.serializations).toBe(3);
  });
});

const BURST = /* GraphQL */ `
  subscription SharingBurst($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) { sequence type at }
  }
`;

describe("one subscription and a burst of events", () => {
  it("sends the burst in a few writes, not one write per event, in order", { timeout: 60_000 }, async () => {
    const { lastEventSequence } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    const client = createClient({ url: app.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    const received: number[] = [];
    try {
      client.subscribe<{ executionEvents: { sequence: number } }>(
        // Nothing to read per event (a relation would make each one wait for its own read).
        { query: BURST, variables: { executionId: id, afterSequence: lastEventSequence } },
        { next: (r) => void received.push(r.data?.executionEvents.sequence ?? -1), error: () => {}, complete: () => {} },
      );
      await waitUntil("the subscription to listen", () => app.app.events.listenerCount(executionTopic(uuid)) === 1);
      const burst = 50;
      const before = { ...wsTransportStats };
      await appendAndPublish(burst);
      await waitUntil("the whole burst", () => received.length === burst);
      const frames = wsTransportStats.frames - before.frames;
      const flushes = wsTransportStats.flushes - before.flushes;
      console.log(`one subscription, a burst of ${burst} events: ${frames} messages in ${flushes} writes`);
      expect(frames).toBe(burst);
      // Each of them handed to the socket's queue by the subscription itself (its direct lane).
      expect(wsTransportStats.directFrames - before.directFrames).toBe(burst);
      // A send that finds the socket not backed up resolves at once, so the subscription takes its
      // next event in the same tick (it used to wait for each frame's write: 50 writes).
      expect(flushes).toBeLessThanOrEqual(3);
      expect(received).toEqual(Array.from({ length: burst }, (_, k) => lastEventSequence + 1 + k));
    } finally {
      await client.dispose();
      await waitUntil("every subscription released", () => app.app.events.listenerCount() === 0);
    }
  });
});

describe("one socket with many subscriptions", () => {
  it("gets an event's messages for all of them in one write, each subscription's in order", { timeout: 60_000 }, async () => {
    const { lastEventSequence } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    const client = createClient({ url: app.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    const received: number[][] = Array.from({ length: 20 }, () => []);
    try {
      received.forEach((sequences, i) =>
        client.subscribe<{ executionEvents: { sequence: number } }>(
          { query: print(Events), variables: { executionId: id, afterSequence: lastEventSequence - (i % 2) } },
          { next: (r) => void sequences.push(r.data?.executionEvents.sequence ?? -1), error: () => {}, complete: () => {} },
        ),
      );
      // Half of them replay the last event first, and then may park behind one of them (no listener).
      await waitUntil("the replays", () => received.filter((r) => r.length === 1).length === 10);
      await waitUntil(
        "every subscription to listen or park",
        () => app.app.events.listenerCount(executionTopic(uuid)) + deliveryGroupStats.parked === 20,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = { ...wsTransportStats };
      await appendAndPublish();
      await appendAndPublish();
      await waitUntil("both events everywhere", () => received.every((r) => r.at(-1) === lastEventSequence + 2));
      const frames = wsTransportStats.frames - before.frames;
      const flushes = wsTransportStats.flushes - before.flushes;
      console.log(`one socket, 20 subscriptions, 2 events: ${frames} messages in ${flushes} writes`);
      expect(frames).toBe(40);
      // Every subscription's messages for both events, in a write or two.
      expect(flushes).toBeLessThanOrEqual(2);
      for (const [i, sequences] of received.entries()) {
        const first = lastEventSequence + 1 - (i % 2);
        expect(sequences).toEqual(Array.from({ length: lastEventSequence + 2 - first + 1 }, (_, k) => first + k));
      }
    } finally {
      await client.dispose();
      await waitUntil("every subscription released", () => app.app.events.listenerCount() === 0);
    }
  });
});

// Each event ~2 KB: a burst of 100 queues ~200 KB per socket in one tick, past the 64 KiB a socket
// may have waiting, so sends start to wait while the group's leader is still sending.
const Heavy = parse(/* GraphQL */ `
  subscription SharingHeavy($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) { sequence data }
  }
`) as TypedDocumentNode<{ executionEvents: { sequence: number } }, { executionId: string; afterSequence: number }>;

describe("a delivery group whose members' sockets fall behind", () => {
  it("sends them back to their own streams, and each still gets every event once, in order", { timeout: 60_000 }, async () => {
    const { lastEventSequence: start } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    const n = 10;
    const subscribers = Array.from({ length: n }, () => subscribeOverWs(app.url, Heavy, { executionId: id, afterSequence: start }));
    try {
      await waitUntil("every subscription to listen", () => app.app.events.listenerCount(executionTopic(uuid)) === n);
      await appendAndPublish();
      await waitUntil("the first event everywhere", () => subscribers.every((s) => s.data.length === 1));
      await waitUntil("all but one to park", () => deliveryGroupStats.parked === n - 1);
      const behindBefore = deliveryGroupStats.behind;
      await appendAndPublish(100, { dataBytes: 2_000 });
      await waitUntil("the burst everywhere", () => subscribers.every((s) => s.data.length === 101), 30_000);
      expect(deliveryGroupStats.behind - behindBefore).toBeGreaterThan(0);
      const expected = Array.from({ length: 101 }, (_, k) => start + 1 + k);
      for (const s of subscribers) expect(s.data.map((d) => d.executionEvents.sequence)).toEqual(expected);
      expect(subscribers.flatMap((s) => s.errors)).toEqual([]);
    } finally {
      await Promise.all(subscribers.map((s) => s.stop()));
      await waitUntil("nothing kept", () => app.app.events.listenerCount() === 0 && deliveryGroupStats.parked === 0);
    }
  });
});

describe("subscribers of one execution caught up with each other", () => {
  it("get each event from one of them, every event in order, as the others leave, and complete together", { timeout: 60_000 }, async () => {
    const { lastEventSequence: start } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    const topic = executionTopic(uuid);
    const n = 30;
    const subscribers = Array.from({ length: n }, () => subscribeOverWs(app.url, Events, { executionId: id, afterSequence: start }));
    const sequences = (s: WsSubscriber<{ executionEvents: { sequence: number } }>) => s.data.map((d) => d.executionEvents.sequence);
    const upTo = (last: number) => Array.from({ length: last - start }, (_, k) => start + 1 + k);
    try {
      await waitUntil("every subscription to listen", () => app.app.events.listenerCount(topic) === n);
      await appendAndPublish();
      await waitUntil("the first event everywhere", () => subscribers.every((s) => s.data.length === 1));
      // Caught up: one of them reads on, the others wait for what it sends, with no listener of their own.
      await waitUntil("all but one to park", () => deliveryGroupStats.parked === n - 1);
      expect(app.app.events.listenerCount(topic)).toBe(1);

      const framesBefore = deliveryGroupStats.frames;
      const statementsBefore = app.statements.length;
      await appendAndPublish(20);
      await waitUntil("the burst everywhere", () => subscribers.every((s) => s.data.length === 21));
      expect(deliveryGroupStats.frames - framesBefore).toBe(20 * (n - 1));
      // A few statements per event (each event's step is read for the payload), not a read per subscriber.
      expect(app.statements.length - statementsBefore).toBeLessThan(20 * 4);

      // Half of them leave, the one that reads perhaps among them; then all but one.
      await Promise.all(subscribers.slice(0, n / 2).map((s) => s.stop()));
      await appendAndPublish(5);
      await waitUntil("5 more for those left", () => subscribers.slice(n / 2).every((s) => s.data.length === 26));
      await Promise.all(subscribers.slice(n / 2, n - 1).map((s) => s.stop()));
      const last = subscribers.at(-1) as (typeof subscribers)[number];
      await appendAndPublish(2);
      await appendAndPublish(1, { type: "EXECUTION_COMPLETED" });
      await waitUntil("the last one to complete", () => last.completed);
      for (const s of subscribers.slice(n / 2)) expect(sequences(s).slice(0, 26)).toEqual(upTo(start + 26));
      expect(sequences(last)).toEqual(upTo(start + 29));
      expect(subscribers.flatMap((s) => s.errors)).toEqual([]);
      await waitUntil("nothing kept", () => app.app.events.listenerCount() === 0 && deliveryGroupStats.parked === 0);
    } finally {
      await Promise.all(subscribers.map((s) => s.stop()));
    }
  });
});
