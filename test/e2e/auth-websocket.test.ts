// Credentials over WebSocket (graphql-transport-ws): checked on connection_init, refused with
// close code 4403, and a socket whose token expires or whose key is revoked is closed; over SSE the
// stream ends with UNAUTHENTICATED when the token expires. Raw sockets, so the close codes are what the server sent.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey, bearer, jwt } from "../support/auth.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
let viewerKey: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false", AUTH_RECHECK_MS: "200" });
  f = await createFixture(app.app.db);
  viewerKey = (await apiKey(app.app.db, f.tenantId, "VIEWER")).authorization;
});
afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await app?.stop();
});

type Connection = {
  socket: WebSocket;
  messages: { type: string; id?: string; payload?: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(type: string, id?: string): Promise<{ type: string; payload?: unknown }>;
};

function connect(): Promise<Connection> {
  const socket = new WebSocket(app.url.replace(/^http/, "ws"), "graphql-transport-ws");
  sockets.push(socket);
  const messages: Connection["messages"] = [];
  const waiters = new Set<() => void>();
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const waitFor = (type: string, id?: string) =>
    new Promise<{ type: string; payload?: unknown }>((resolve, reject) => {
      const check = () => {
        const found = messages.find((m) => m.type === type && (id === undefined || m.id === id));
        if (found) {
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
      check();
      void closed.then(() => reject(new Error(`socket closed before ${type}`)));
    });
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ socket, messages, closed, waitFor }));
    socket.once("error", reject);
  });
}

async function init(payload?: Record<string, unknown>): Promise<Connection> {
  const c = await connect();
  c.socket.send(JSON.stringify({ type: "connection_init", ...(payload ? { payload } : {}) }));
  return c;
}

describe("connection_init", () => {
  it("closes with 4403 when no credentials are sent", async () => {
    const c = await init();
    expect((await c.closed).code).toBe(4403);
    expect(c.messages).toEqual([]);
  });

  it("closes with 4403 for a bad key, a bad signature or an expired token", async () => {
    for (const authorization of [
      bearer(`ssk_${"B".repeat(43)}`),
      bearer(await jwt({ tenant: "dev", role: "admin", secret: "not-the-secret-but-long-enough-1234567890" })),
      bearer(await jwt({ tenant: "dev", role: "admin", expiresIn: -5 })),
      "nonsense",
    ]) {
      const c = await init({ authorization });
      expect((await c.closed).code).toBe(4403);
    }
  });

  it("acknowledges valid credentials and scopes operations to their tenant", async () => {
    const c = await init({ authorization: viewerKey });
    await c.waitFor("connection_ack");
    c.socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ workflows { totalCount } }" } }));
    expect((await c.waitFor("next", "1")).payload).toEqual({ data: { workflows: { totalCount: 3 } } });
    c.socket.close(1000);
  });

  it("keeps another tenant's execution out of reach: NOT_FOUND, as for a missing one", async () => {
    const other = (await apiKey(app.app.db, f.otherTenantId, "VIEWER")).authorization;
    const c = await init({ authorization: other });
    await c.waitFor("connection_ack");
    const query = "subscription($id: ID!) { executionEvents(executionId: $id) { sequence } }";
    const foreign = encodeGlobalId("Execution", f.executions.e4 as string);
    c.socket.send(JSON.stringify({ id: "a", type: "subscribe", payload: { query, variables: { id: foreign } } }));
    c.socket.send(
      JSON.stringify({ id: "b", type: "subscribe", payload: { query, variables: { id: encodeGlobalId("Execution", randomUUID()) } } }),
    );
    const codes = async (id: string) => {
      const msg = (await c.waitFor("next", id)) as { payload: { errors: { extensions: { code: string } }[] } };
      return msg.payload.errors.map((e) => e.extensions.code);
    };
    expect(await codes("a")).toEqual(["NOT_FOUND"]);
    expect(await codes("b")).toEqual(["NOT_FOUND"]);
    c.socket.close(1000);
  });
});

describe("credentials that stop being valid", () => {
  it("closes a WebSocket with 4403 when its token expires, ending its subscriptions", async () => {
    const c = await init({ authorization: bearer(await jwt({ tenant: "dev", role: "viewer", expiresIn: 2 })) });
    await c.waitFor("connection_ack");
    const id = encodeGlobalId("Execution", f.executions.e4 as string);
    c.socket.send(
      JSON.stringify({
        id: "live",
        type: "subscribe",
        payload: { query: "subscription($id: ID!) { executionEvents(executionId: $id) { sequence } }", variables: { id } },
      }),
    );
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4403, reason: "Token expired" });
    await expect.poll(() => app.app.events.listenerCount(`execution:${f.executions.e4}`)).toBe(0);
  });

  it("closes a WebSocket with 4403 once its API key is revoked", async () => {
    const key = await apiKey(app.app.db, f.tenantId, "VIEWER", "revoked while connected");
    const c = await init({ authorization: key.authorization });
    await c.waitFor("connection_ack");
    await app.app.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    expect(await c.closed).toEqual({ code: 4403, reason: "Credentials revoked" });
  });

  it("ends an SSE subscription with UNAUTHENTICATED once its API key is revoked", async () => {
    const key = await apiKey(app.app.db, f.tenantId, "VIEWER", "revoked while streaming");
    const id = encodeGlobalId("Execution", f.executions.e4 as string);
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: key.authorization },
      body: JSON.stringify({ query: "subscription($id: ID!) { executionEvents(executionId: $id) { sequence } }", variables: { id } }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => app.app.events.listenerCount(`execution:${f.executions.e4}`)).toBeGreaterThan(0);
    await app.app.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    const text = await res.text();
    expect(text).toContain('"message":"Credentials revoked"');
    expect(text).toContain("event: complete");
  });

  it("ends an SSE subscription with UNAUTHENTICATED when its token expires", async () => {
    const token = await jwt({ tenant: "dev", role: "viewer", expiresIn: 2 });
    const id = encodeGlobalId("Execution", f.executions.e4 as string);
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: bearer(token) },
      body: JSON.stringify({ query: "subscription($id: ID!) { executionEvents(executionId: $id) { sequence } }", variables: { id } }),
    });
    expect(res.status).toBe(200);
    // The whole body arrives once the server ends the stream.
    const text = await res.text();
    const next = /event: next\ndata: (.*)\n/.exec(text);
    expect(JSON.parse(next?.[1] ?? "null")).toMatchObject({ errors: [{ message: "Token expired", extensions: { code: "UNAUTHENTICATED" } }] });
    expect(text).toContain("event: complete");
  });
});
