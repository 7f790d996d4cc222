// Child process: the floor the subscription benchmark compares the app with. A bare `ws` server
// speaking just enough of graphql-ws's protocol (connection_init → ack, subscribe, next, complete)
// plays back the live events the app delivered, at the same moments relative to each other, to
// the same subscribers: no database, no engine, no GraphQL; each event's payload is serialized
// once and each subscriber's frame is that text with its id around it. Everything due in one turn
// leaves in one write per socket (corked), as the app's transport does: sent frame by frame, 1,000
// subscribers of a burst of 47 events took this server ~950 ms, twice what the app needs.
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { serveChild } from "./child.ts";

/** One event to send: to every subscriber of `execution` (a global ID), `offsetMs` after "go". */
export type BaselineEvent = { execution: string; sequence: number; offsetMs: number };

export type WsBaselineRequest = { events: BaselineEvent[] };
export type WsBaselineListening = { type: "listening"; url: string };
export type WsBaselineDone = { type: "done"; cpuMs: number; frames: number };

type Subscriber = { socket: WebSocket; raw: Socket; id: string };

serveChild<WsBaselineRequest>(async (req, send, receive) => {
  const byExecution = new Map<string, Subscriber[]>();
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => (protocols.has("graphql-transport-ws") ? "graphql-transport-ws" : false),
  });
  wss.on("connection", (socket, request) => {
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { variables?: { id?: string } } };
      if (message.type === "connection_init") socket.send('{"type":"connection_ack"}');
      else if (message.type === "ping") socket.send('{"type":"pong"}');
      else if (message.type === "subscribe" && message.id) {
        const execution = String(message.payload?.variables?.id);
        const list = byExecution.get(execution) ?? [];
        list.push({ socket, raw: request.socket, id: message.id });
        byExecution.set(execution, list);
      }
    });
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const { port } = wss.address() as AddressInfo;
  send({ type: "listening", url: `ws://127.0.0.1:${port}/graphql` } satisfies WsBaselineListening);

  await receive("go");
  const cpu = process.cpuUsage();
  const events = [...req.events].sort((a, b) => a.offsetMs - b.offsetMs);
  const lastOf = new Map<string, number>();
  for (const e of events) lastOf.set(e.execution, Math.max(lastOf.get(e.execution) ?? 0, e.sequence));
  let frames = 0;
  const started = performance.now();
  const startedAt = Date.now();
  for (let i = 0; i < events.length; ) {
    const wait = (events[i] as BaselineEvent).offsetMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Everything due by now leaves in this turn, in one write per socket.
    const due = performance.now() - started;
    const outgoing = new Map<Socket, { socket: WebSocket; frames: string[] }>();
    const queue = (subscriber: Subscriber, frame: string) => {
      const entry = outgoing.get(subscriber.raw) ?? { socket: subscriber.socket, frames: [] };
      entry.frames.push(frame);
      outgoing.set(subscriber.raw, entry);
    };
    for (; i < events.length && (events[i] as BaselineEvent).offsetMs <= due; i += 1) {
      const event = events[i] as BaselineEvent;
      // `at` is when the event was due, as the app's is when the engine wrote it: time an event
      // waits behind the ones before it counts for both.
      const at = new Date(startedAt + event.offsetMs).toISOString();
      const payload = JSON.stringify({ data: { executionEvents: { sequence: event.sequence, type: "STEP_COMPLETED", at } } });
      const last = lastOf.get(event.execution) === event.sequence;
      for (const subscriber of byExecution.get(event.execution) ?? []) {
        queue(subscriber, `{"id":${JSON.stringify(subscriber.id)},"type":"next","payload":${payload}}`);
        if (last) queue(subscriber, `{"id":${JSON.stringify(subscriber.id)},"type":"complete"}`);
        frames += 1;
      }
    }
    for (const [raw, { socket, frames: batch }] of outgoing) {
      raw.cork();
      for (const frame of batch) socket.send(frame);
      raw.uncork();
    }
  }
  await receive("stop");
  const used = process.cpuUsage(cpu);
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  return { type: "done", cpuMs: (used.user + used.system) / 1000, frames } satisfies WsBaselineDone;
});
