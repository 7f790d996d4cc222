// Child process: the floor the subscription benchmark compares the app with. A bare `ws` server
// speaking just enough of graphql-ws's protocol (connection_init → ack, subscribe, next, complete)
// plays back the live events the app delivered, at the same moments relative to each other, to
// the same subscribers: no database, no engine, no GraphQL; each event's payload is serialized
// once and each subscriber's frame is that text with its id around it, sent at once.
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { serveChild } from "./child.ts";

/** One event to send: to every subscriber of `execution` (a global ID), `offsetMs` after "go". */
export type BaselineEvent = { execution: string; sequence: number; offsetMs: number };

export type WsBaselineRequest = { events: BaselineEvent[] };
export type WsBaselineListening = { type: "listening"; url: string };
export type WsBaselineDone = { type: "done"; cpuMs: number; frames: number };

type Subscriber = { socket: WebSocket; id: string };

serveChild<WsBaselineRequest>(async (req, send, receive) => {
  const byExecution = new Map<string, Subscriber[]>();
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => (protocols.has("graphql-transport-ws") ? "graphql-transport-ws" : false),
  });
  wss.on("connection", (socket) => {
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { variables?: { id?: string } } };
      if (message.type === "connection_init") socket.send('{"type":"connection_ack"}');
      else if (message.type === "ping") socket.send('{"type":"pong"}');
      else if (message.type === "subscribe" && message.id) {
        const execution = String(message.payload?.variables?.id);
        const list = byExecution.get(execution) ?? [];
        list.push({ socket, id: message.id });
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
  for (let i = 0; i < events.length; ) {
    const wait = (events[i] as BaselineEvent).offsetMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // Everything due by now leaves in this turn.
    const due = performance.now() - started;
    for (; i < events.length && (events[i] as BaselineEvent).offsetMs <= due; i += 1) {
      const event = events[i] as BaselineEvent;
      const payload = JSON.stringify({
        data: { executionEvents: { sequence: event.sequence, type: "STEP_COMPLETED", at: new Date().toISOString() } },
      });
      const last = lastOf.get(event.execution) === event.sequence;
      for (const { socket, id } of byExecution.get(event.execution) ?? []) {
        socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
        if (last) socket.send(`{"id":${JSON.stringify(id)},"type":"complete"}`);
        frames += 1;
      }
    }
  }
  await receive("stop");
  const used = process.cpuUsage(cpu);
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  return { type: "done", cpuMs: (used.user + used.system) / 1000, frames } satisfies WsBaselineDone;
});
