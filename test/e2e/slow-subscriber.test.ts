// A WebSocket client that stops reading while 20,000 events of its execution are published: the
// server stays up, its memory stays bounded, and the client resumes with afterSequence and gets
// every event in order with no gap. The client speaks graphql-transport-ws by hand over a `ws`
// socket, so it can stop reading at the TCP level (socket.pause()), which no graphql-ws client can.
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import type { EngineEvent } from "../../src/engine/events.ts";
import { executionTopic } from "../../src/realtime/event-bus.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, detail, startRunId } from "../support/engine.ts";

const EVENTS = 20_000;
const CHUNK = 1_000;
// The per-subscriber buffer of the event bus (README "Live updates").
const BUFFER_LIMIT = 1_000;
// Each event carries ~1 KB of details (the size of an error message with some context), so the
// 20,000 weigh ~22 MB on the wire: far more than the kernel buffers for a stalled loopback TCP
// connection (~4 MB here), so the server really has to hold back instead of writing it all out.
const DETAIL_BYTES = 1_000;

const EventsSubscription = /* GraphQL */ `
  subscription SlowEvents($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) { sequence data }
  }
`;

let app: TestApp;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await app?.stop();
});

/** A full garbage collection, so readings compare live objects only (as Jest's leak detector gets it). */
const gc = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

/** Live memory: the V8 heap plus Buffers (a socket's pending writes are Buffers, not heap). */
function liveBytes(): number {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One event as the client got it: its sequence and the start of its details (null if none). */
type Received = { sequence: number; detail: string | null };

type Subscriber = {
  socket: WebSocket;
  /** Events received, in arrival order. */
  events: Received[];
  errors: unknown[];
  completed: boolean;
  /** Cuts the connection and ignores whatever it still delivers; returns the events received. */
  abandon(): Received[];
};

/** Opens a socket, initialises the connection and subscribes to the execution's events. */
async function subscribe(executionId: string, afterSequence?: number): Promise<Subscriber> {
  const socket = new WebSocket(app.url.replace(/^http/, "ws"), "graphql-transport-ws");
  sockets.push(socket);
  const subscriber: Subscriber = {
    socket,
    events: [],
    errors: [],
    completed: false,
    abandon() {
      // ws may still emit messages it had read before the socket is destroyed.
      socket.removeAllListeners("message");
      socket.terminate();
      return [...subscriber.events];
    },
  };
  await new Promise<void>((resolve, reject) => {
    socket.on("error", (error) => {
      subscriber.errors.push(String(error));
      reject(error);
    });
    socket.once("close", (code) => reject(new Error(`socket closed (${code}) before connection_ack`)));
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; payload?: unknown };
      switch (message.type) {
        case "connection_ack":
          resolve();
          break;
        case "ping":
          socket.send(JSON.stringify({ type: "pong" }));
          break;
        case "next": {
          const result = message.payload as {
            data?: { executionEvents: { sequence: number; data: { detail?: string } | null } };
            errors?: unknown[];
          };
          if (result.errors) subscriber.errors.push(...result.errors);
          const event = result.data?.executionEvents;
          if (event) subscriber.events.push({ sequence: event.sequence, detail: event.data?.detail?.slice(0, 12) ?? null });
          break;
        }
        case "error":
          subscriber.errors.push(message.payload);
          break;
        case "complete":
          subscriber.completed = true;
          break;
      }
    });
  });
  socket.send(
    JSON.stringify({
      id: "1",
      type: "subscribe",
      payload: { query: EventsSubscription, variables: { executionId, afterSequence } },
    }),
  );
  return subscriber;
}

/**
 * Appends `count` events to the execution as the engine does: the sequences are taken from
 * Execution.lastEventSequence under the row's lock and the rows written in the same statement;
 * the committed rows are then published on the app's bus, in the engine's EngineEvent shape.
 */
async function appendAndPublish(executionId: string, count: number): Promise<EngineEvent[]> {
  const rows = await app.database.db.$queryRaw<EngineEvent[]>`
    WITH bumped AS (
      UPDATE "Execution" SET "lastEventSequence" = "lastEventSequence" + ${count}
      WHERE id = ${executionId}::uuid
      RETURNING id, "tenantId", status, "lastEventSequence" - ${count} AS base
    )
    INSERT INTO "ExecutionEvent" ("tenantId", "executionId", sequence, type, "executionStatus", data)
    SELECT b."tenantId", b.id, b.base + i, 'STEP_STARTED', b.status,
           jsonb_build_object('detail', (b.base + i) || ':' || repeat('x', ${DETAIL_BYTES}))
    FROM bumped b, generate_series(1, ${count}::int) AS i
    RETURNING id, "tenantId", "executionId", sequence, type, "executionStatus", "stepId", "batchId", at, data`;
  app.app.events.publish(rows);
  return rows;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const delta = (bytes: number) => `${bytes < 0 ? "" : "+"}${mib(bytes)}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sequences = (events: readonly Received[]) => events.map((e) => e.sequence);

it("a client that stops reading while 20,000 events are published: server up, memory bounded, resumed without loss", async () => {
  const bus = app.app.events;
  // One long delay: after its first events the run sleeps (in a scheduled job), so every further
  // event of this execution is one the test writes.
  const id = await startRunId(app, await createWorkflow(app, { steps: [{ id: "sleep", type: "delay", config: { ms: 3_600_000 } }] }));
  const uuid = Buffer.from(id, "base64url").toString("utf8").split(":")[1] as string;
  const topic = executionTopic(uuid);

  const slow = await subscribe(id);
  // Asleep: the step's wake-up is scheduled and the engine writes nothing more for an hour.
  await waitFor(async () => {
    const step = await app.database.db.step.findFirst({ where: { executionId: uuid, key: "sleep" } });
    return step?.wakeAt != null;
  });
  const { lastEventSequence } = await app.database.db.execution.findUniqueOrThrow({ where: { id: uuid } });
  await waitFor(() => slow.events.at(-1)?.sequence === lastEventSequence && bus.listenerCount(topic) === 1);
  const initialEvents = lastEventSequence;
  expect(sequences(slow.events)).toEqual(range(1, initialEvents));

  // Stops reading: the kernel's buffers fill, then the server's writes to this socket stall.
  slow.socket.pause();
  const before = liveBytes();
  let peak = before;
  let publishedBytes = 0;
  let dropped: { live: number; published: number } | undefined;
  for (let sent = 0; sent < EVENTS; sent += CHUNK) {
    const rows = await appendAndPublish(uuid, CHUNK);
    for (const row of rows) publishedBytes += JSON.stringify(row).length;
    const live = liveBytes();
    peak = Math.max(peak, live);
    if (!dropped && bus.listenerCount(topic) === 0) dropped = { live, published: publishedBytes };
  }
  const after = liveBytes();
  const last = initialEvents + EVENTS;
  console.log(
    `live memory: peak ${delta(peak - before)}, ${delta(after - (dropped?.live ?? before))} over the ` +
      `${mib(publishedBytes - (dropped?.published ?? 0))} published after the subscriber was dropped; ` +
      `${mib(publishedBytes)} published in all`,
  );

  // Memory bounded. graphql-ws sends an event only once the socket took the one before, so a
  // stalled socket stops the stream from being read; its events then pile up in the bus's
  // per-subscriber buffer, which drops the subscriber's listener at BUFFER_LIMIT instead of
  // growing. From then on, publishing costs the slow subscriber nothing: live memory (forced GC,
  // heap plus Buffers) stays flat while the rest of the 20,000 go out, and its peak is a fraction
  // of what keeping them would take (at least their serialized size).
  expect(slow.events).toHaveLength(initialEvents);
  expect(peak - before).toBeLessThan(publishedBytes / 2);
  expect(dropped, `the subscriber's listener was dropped at ${BUFFER_LIMIT} pending events`).toBeDefined();
  const { live: atDrop, published: publishedAtDrop } = dropped as { live: number; published: number };
  expect(after - atDrop).toBeLessThan((publishedBytes - publishedAtDrop) / 4);

  // The server is up and serving others while that client is stalled.
  expect(await detail(app, id)).toMatchObject({ id, status: "RUNNING" });

  // The client reads again for a while (what the server had written or buffered comes through, in
  // order), then gives up on that connection and resumes after the last event it has.
  slow.socket.resume();
  await waitFor(() => slow.events.length >= initialEvents + BUFFER_LIMIT);
  const seen = slow.abandon();
  expect(slow.errors).toEqual([]);
  // Closing the socket released what the stalled subscription held.
  await waitFor(() => bus.listenerCount(topic) === 0, 2_000);
  const resumed = await subscribe(id, seen.at(-1)?.sequence);
  await waitFor(() => resumed.events.at(-1)?.sequence === last || resumed.errors.length > 0, 15_000);
  expect(resumed.errors).toEqual([]);
  const all = [...seen, ...resumed.events];
  expect(sequences(all)).toEqual(range(1, last));
  // Each is the persisted event, whether it came live, from the buffer or from the replay.
  const wrong = all.filter((e) => e.sequence > initialEvents && !e.detail?.startsWith(`${e.sequence}:`));
  expect(wrong).toEqual([]);
  // A running execution's stream stays open for what comes next.
  expect(resumed.completed).toBe(false);
  expect(bus.listenerCount(topic)).toBe(1);
  resumed.socket.close();
  await waitFor(() => bus.listenerCount(topic) === 0, 2_000);
}, 30_000);
