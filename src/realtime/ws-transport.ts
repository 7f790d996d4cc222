// graphql-ws's protocol core (makeServer) on a `ws` server: graphql-ws's own use/ws adapter, plus
// three things a fan-out to thousands of subscribers needs.
// - Serialized once: a `next` message is `{"id":…,"type":"next","payload":…}`. Subscribers that
//   share a resolution get the same result object (shared-subscriptions.ts); its JSON is
//   made once, kept with the object, and each subscriber's frame is that JSON with its id around
//   it. (graphql-ws would stringify the whole message per subscriber.)
// - Written in one go: messages for one socket are queued and written together once per tick
//   (corked: one syscall for many frames), in the order they were sent, so nothing is reordered.
//   A send needs no waiting while less than WRITE_HIGH_WATER bytes wait for the socket, so a
//   subscription pulls its next event in the same tick and a burst leaves in one write per socket
//   instead of one per event (a subscription used to wait for each frame's write before taking its
//   next event: 1,000 subscribers of a 51-event burst made 51,000 writes and waited 1–2 s). Past
//   that, a send returns a promise that settles once its frame was written, so a socket that stops
//   reading stops its subscriptions from being pulled (their bounded buffers then apply).
// - A direct lane: `extra.directLane(id)(result)` queues a `next` message without graphql-ws, for
//   the results a subscription sends itself (shared-subscriptions.ts), with the same queue and
//   the same backpressure as every other message of the socket.
import type http from "node:http";
import { CloseCode, type ServerOptions } from "graphql-ws";
import { handleProtocols, makeServer } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import type { WebSocket, WebSocketServer } from "ws";

// What stands in for a payload while graphql-ws stringifies the message around it.
const MARK = "\u0000payload";
const MARK_JSON = JSON.stringify(MARK);

/** The JSON of each result object, made the first time any subscriber sends it. */
const serialized = new WeakMap<object, string>();

/** What this process's transports did so far (tests compare it with the messages sent). */
export const wsTransportStats = { payloadSerializations: 0, flushes: 0, frames: 0, directFrames: 0 };

/**
 * What each operation's `extra` carries besides graphql-ws's: a way to send `next` messages of
 * subscription `id` straight to the socket's queue, in order with every other message of the
 * socket (shared-subscriptions.ts sends error-free results through it). A send returns a promise
 * only when the socket is behind.
 */
export type TransportExtra = Extra & { directLane(id: string): (result: object) => Promise<void> | undefined };

function payloadJson(result: object): string {
  let json = serialized.get(result);
  if (json === undefined) {
    json = JSON.stringify(result);
    serialized.set(result, json);
    wsTransportStats.payloadSerializations += 1;
  }
  return json;
}

/** Bytes a socket may have waiting (queued here or unwritten in its stream) before sends wait for writes. */
export const WRITE_HIGH_WATER = 64 * 1024;

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/**
 * One socket's queue: flushed once the current tick's sends are in, every frame in one cork. A
 * send returns a promise only when the socket is behind (it settles once the frame is written);
 * a delivery group's loop sends to a thousand sockets without making a promise for any of them.
 */
function createOutbox(socket: WebSocket, raw: http.IncomingMessage["socket"]) {
  let frames: string[] = [];
  // Parallel to frames: who waits for each one's write (a frame sent early needs no callback: a
  // write error closes the socket, which ends its subscriptions).
  let waiters: (Waiter | undefined)[] = [];
  let queuedBytes = 0;
  const flush = () => {
    const batch = frames;
    const batchWaiters = waiters;
    frames = [];
    waiters = [];
    queuedBytes = 0;
    if (socket.readyState !== socket.OPEN) {
      for (const waiter of batchWaiters) waiter?.resolve();
      return;
    }
    wsTransportStats.flushes += 1;
    wsTransportStats.frames += batch.length;
    raw.cork();
    for (let i = 0; i < batch.length; i += 1) {
      const waiter = batchWaiters[i];
      if (waiter) socket.send(batch[i] as string, (error) => (error ? waiter.reject(error) : waiter.resolve()));
      else socket.send(batch[i] as string);
    }
    raw.uncork();
  };
  return (data: string): Promise<void> | undefined => {
    if (socket.readyState !== socket.OPEN) return undefined;
    const early = raw.writableLength + queuedBytes + data.length <= WRITE_HIGH_WATER;
    frames.push(data);
    queuedBytes += data.length;
    // After the promise jobs now queued (other subscriptions' sends of this event), before I/O.
    if (frames.length === 1) process.nextTick(flush);
    if (early) {
      waiters.push(undefined);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      waiters.push({ resolve, reject });
    });
  };
}

/** Like graphql-ws's useServer(options, wss, keepAlive), with the two changes above. */
export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, Extra> & { isProd: boolean; logError?: (message: string, error: unknown) => void },
  wss: WebSocketServer,
  keepAliveMs = 12_000,
): { dispose(): Promise<void> } {
  // Set by the replacer, taken by the send that follows: graphql-ws stringifies a message and
  // hands it to socket.send in one synchronous step.
  let pending: string | undefined;
  const server = makeServer<P, Extra>({
    ...options,
    // The result object itself, not graphql-ws's per-subscriber copy of it: its JSON is kept.
    onNext: async (ctx, id, payload, args, result) => (await options.onNext?.(ctx, id, payload, args, result)) ?? result,
    jsonMessageReplacer(this: unknown, key, value: unknown) {
      if (key === "payload" && (this as { type?: string }).type === "next" && value && typeof value === "object") {
        pending = payloadJson(value);
        return MARK;
      }
      return value;
    },
  });
  const internalError = (socket: WebSocket, error: unknown) => {
    (options.logError ?? ((message, e) => console.error(message, e)))("Internal error on a GraphQL WebSocket", error);
    socket.close(CloseCode.InternalServerError, options.isProd ? "Internal server error" : String(error).slice(0, 100));
  };
  wss.options.handleProtocols = handleProtocols;
  wss.on("connection", (socket: WebSocket, request: http.IncomingMessage) => {
    socket.once("error", (error) => internalError(socket, error));
    const outbox = createOutbox(socket, request.socket);
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once("pong", () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const directLane = (id: string) => {
      const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
      return (result: object) => {
        wsTransportStats.directFrames += 1;
        return outbox(`${head}${payloadJson(result)}}`);
      };
    };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          const json = pending;
          pending = undefined;
          if (json === undefined) return outbox(data);
          const at = data.lastIndexOf(MARK_JSON);
          return outbox(data.slice(0, at) + json + data.slice(at + MARK_JSON.length));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", (message) => {
            cb(String(message)).catch((error: unknown) => internalError(socket, error));
          }),
      },
      { socket, request, directLane } as TransportExtra,
    );
    socket.once("close", (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
