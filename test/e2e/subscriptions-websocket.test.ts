// attachGraphQLWs on its own: a small yoga schema whose subscription streams from an event bus,
// served over real sockets. Proves the limits, the shutdown, and that a client going away
// releases its bus listener through graphql-ws, envelop and graphql-js at once.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Client, createClient } from "graphql-ws";
import { createSchema, createYoga } from "graphql-yoga";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createEventBus, type EventBus } from "../../src/realtime/event-bus.ts";
import { attachGraphQLWs, type GraphQLWs } from "../../src/realtime/websocket.ts";
import { engineEvent, waitFor } from "../unit/realtime/fake-events.ts";

const EXECUTION = "aaaaaaaa-0000-4000-8000-00000000000a";
const TOPIC = `execution:${EXECUTION}`;

let bus: EventBus;
let server: http.Server;
let ws: GraphQLWs;
let url: string;
const clients: Client[] = [];

async function start(options: Partial<Parameters<typeof attachGraphQLWs>[2]> = {}) {
  bus = createEventBus();
  const yoga = createYoga({
    logging: false,
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Query { hello: String! }
        type Subscription { sequences: Int! }
      `,
      resolvers: {
        Query: { hello: () => "world" },
        Subscription: {
          sequences: {
            subscribe: () => bus.subscribe(TOPIC),
            resolve: (event: { sequence: number }) => event.sequence,
          },
        },
      },
    }),
  });
  server = http.createServer(yoga);
  ws = attachGraphQLWs(server, yoga, { path: "/graphql", ...options });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

beforeEach(() => start());

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await ws.close();
  await new Promise((resolve) => server.close(resolve));
  await bus.close();
});

function client(options: { onClose?: (code: number) => void } = {}) {
  const created = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    on: { closed: (event) => options.onClose?.((event as { code: number }).code) },
  });
  clients.push(created);
  return created;
}

type Received = { data: unknown[]; errors: unknown[]; completed: boolean; unsubscribe: () => void };

function subscribe(c: Client, query: string): Received {
  const received: Received = { data: [], errors: [], completed: false, unsubscribe: () => {} };
  received.unsubscribe = c.subscribe(
    { query },
    {
      next: (result) => {
        if (result.errors) received.errors.push(...result.errors);
        if (result.data) received.data.push(result.data);
      },
      error: (error) => received.errors.push(error),
      complete: () => {
        received.completed = true;
      },
    },
  );
  return received;
}

describe("attachGraphQLWs", () => {
  it("runs queries and subscriptions through yoga", async () => {
    const c = client();
    const query = subscribe(c, "{ hello }");
    const live = subscribe(c, "subscription { sequences }");
    await waitFor(() => bus.listenerCount(TOPIC) === 1 && query.completed);
    expect(query.data).toEqual([{ hello: "world" }]);
    bus.publish([engineEvent(EXECUTION, 1), engineEvent(EXECUTION, 2)]);
    await waitFor(() => live.data.length === 2);
    expect(live.data).toEqual([{ sequences: 1 }, { sequences: 2 }]);
  });

  it("releases the bus listener as soon as a client unsubscribes or goes away, with no further event", async () => {
    const c = client();
    const first = subscribe(c, "subscription { sequences }");
    subscribe(c, "subscription { sequences }");
    await waitFor(() => bus.listenerCount(TOPIC) === 2);
    first.unsubscribe();
    await waitFor(() => bus.listenerCount(TOPIC) === 1);
    await c.dispose();
    await waitFor(() => bus.listenerCount(TOPIC) === 0 && ws.clientCount === 0);
  });

  it("reports syntax and validation errors as operation errors and keeps the socket", async () => {
    const c = client();
    const syntax = subscribe(c, "subscription { sequences ");
    const invalid = subscribe(c, "subscription { nope }");
    await waitFor(() => syntax.errors.length > 0 && invalid.errors.length > 0);
    expect(JSON.stringify(syntax.errors)).toMatch(/Syntax Error/);
    expect(JSON.stringify(invalid.errors)).toMatch(/Cannot query field .{0,4}nope/);
    const ok = subscribe(c, "{ hello }");
    await waitFor(() => ok.completed);
    expect(ok.data).toEqual([{ hello: "world" }]);
  });

  it("limits the operations one socket may run at once", async () => {
    await ws.close();
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await start({ maxSubscriptionsPerSocket: 2 });
    const c = client();
    subscribe(c, "subscription { sequences }");
    subscribe(c, "subscription { sequences }");
    await waitFor(() => bus.listenerCount(TOPIC) === 2);
    const third = subscribe(c, "subscription { sequences }");
    await waitFor(() => third.errors.length > 0);
    expect(third.errors).toMatchObject([[{ extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } }]]);
    expect(bus.listenerCount(TOPIC)).toBe(2);
  });

  it("closes a socket that sends a message larger than maxPayloadBytes (1009)", async () => {
    await ws.close();
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await start({ maxPayloadBytes: 1024 });
    let code = 0;
    const c = client({ onClose: (closeCode) => (code = closeCode) });
    const big = subscribe(c, `{ hello ${" ".repeat(4096)}}`);
    await waitFor(() => code !== 0 && big.errors.length > 0);
    expect(code).toBe(1009);
  });

  it("closes a socket that does not initialise the connection in time (4408)", async () => {
    await ws.close();
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await start({ connectionInitTimeoutMs: 50 });
    const raw = new WebSocket(url, "graphql-transport-ws");
    const code = await new Promise<number>((resolve) => raw.on("close", resolve));
    expect(code).toBe(4408);
  });

  it("closes with 4403 when authenticate refuses, and 4500 when it fails for another reason", async () => {
    await ws.close();
    await new Promise((resolve) => server.close(resolve));
    await bus.close();
    await start({
      authenticate: async (params) => {
        if (params?.["authorization"] === "ok") return { expiresAt: null };
        if (params?.["authorization"] === "database down") throw new Error("connect ECONNREFUSED");
        throw new RangeError("refused");
      },
      isRefusal: (error) => error instanceof RangeError,
    });
    const closeCode = async (authorization: string) => {
      const raw = new WebSocket(url, "graphql-transport-ws");
      raw.on("open", () => raw.send(JSON.stringify({ type: "connection_init", payload: { authorization } })));
      const acked = new Promise<string>((resolve) => raw.on("message", (data) => resolve(String(data))));
      const closed = new Promise<number>((resolve) => raw.on("close", resolve));
      const first = await Promise.race([acked, closed]);
      raw.close();
      return first;
    };
    expect(await closeCode("nope")).toBe(4403);
    expect(await closeCode("database down")).toBe(4500);
    expect(await closeCode("ok")).toContain("connection_ack");
  });

  it("close() closes every socket with 1001 and ends its subscriptions", async () => {
    let code = 0;
    const c = client({ onClose: (closeCode) => (code = closeCode) });
    subscribe(c, "subscription { sequences }");
    await waitFor(() => bus.listenerCount(TOPIC) === 1);
    await ws.close();
    await waitFor(() => code !== 0);
    expect(code).toBe(1001);
    expect(bus.listenerCount()).toBe(0);
    expect(ws.clientCount).toBe(0);
  });
});
