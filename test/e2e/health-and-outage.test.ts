// /healthz and /readyz, and what a client sees while the database is away: 503
// SERVICE_UNAVAILABLE (retryable), not 200 "Unexpected error.", and a log that says so once
// instead of once per request. The app reaches its database through a TCP proxy the test cuts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { lineText, recordingLogger } from "../support/logs.ts";

let database: TestDatabase;
let proxy: TcpProxy;
let app: App;
let base: string;
const logged: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url);
  proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const { log } = recordingLogger("info", (line) => {
    if (line.msg !== "request") logged.push(lineText(line));
  });
  app = await createApp(loadConfig({ NODE_ENV: "test", DATABASE_URL: viaProxy.toString() }), { log });
  const { url } = await app.start(0, "127.0.0.1");
  base = new URL(url).origin;
}, 60_000);
afterAll(async () => {
  proxy.restore();
  await app?.stop();
  await proxy?.stop();
  await database?.drop();
});

const query = (q: string) =>
  fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: q }),
  });

async function ready(): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe("health checks", () => {
  it("/healthz answers while the process lives", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    await res.text();
  });

  it("/readyz checks the database, the migrations and the worker", async () => {
    expect(await ready()).toEqual({
      status: 200,
      body: { status: "ready", checks: { database: "ok", migrations: "ok", worker: "ok" } },
    });
  });
});

describe("with the database away", () => {
  it("answers 503 SERVICE_UNAVAILABLE, /readyz says why, the log says it once, and all recovers", { timeout: 60_000 }, async () => {
    proxy.cut("refuse");
    const before = logged.length;
    for (let i = 0; i < 20; i += 1) {
      const res = await query("{ workflows(first: 1) { totalCount } }");
      expect(res.status).toBe(503);
      const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
      expect(res.headers.get("retry-after")).toBe("2");
    }
    const unready = await ready();
    expect(unready.status).toBe(503);
    expect(unready.body.checks.database).toBe("unreachable");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const during = logged.slice(before);
    expect(during.filter((l) => /database unreachable/.test(l))).toHaveLength(1);
    expect(during.filter((l) => /Unexpected error/.test(l))).toEqual([]);

    proxy.restore();
    for (;;) {
      const res = await query("{ workflows(first: 1) { totalCount } }");
      if (res.status === 200) break;
      await res.text();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (;;) {
      const again = await ready();
      if (again.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The outage and its end, once each, and nothing else: no line per failed request.
    const outage = logged.slice(before);
    expect(outage.filter((l) => /database reachable again after/.test(l))).toHaveLength(1);
    expect(outage.filter((l) => /database unreachable/.test(l))).toHaveLength(1);
    expect(outage.filter((l) => !/database (unreachable|reachable again)/.test(l))).toEqual([]);
  });
});
