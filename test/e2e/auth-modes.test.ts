// When the server runs without authentication (dev mode) and when it refuses to start; and the
// rate limit on mutations, per API key and per address.
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey, bearer, jwt } from "../support/auth.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { createFixture } from "../support/fixture.ts";
import { lineText, recordingLogger } from "../support/logs.ts";

const Who = graphql(`
  query AuthModesWho {
    workflows(first: 1) { totalCount }
  }
`);

const Cancel = graphql(`
  mutation AuthModesCancel($a: CancelExecutionInput!, $b: CancelExecutionInput!) {
    first: cancelExecution(input: $a) { __typename }
    second: cancelExecution(input: $b) { __typename }
  }
`);

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function recorder() {
  const lines: string[] = [];
  const { log } = recordingLogger("warn", (line) => void lines.push(lineText(line)));
  return { lines, log };
}

async function track(app: TestApp): Promise<TestApp> {
  stops.push(() => app.stop());
  return app;
}

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  stops.push(() => db.drop());
  return db;
}

describe("dev mode", () => {
  it("is on outside production while nothing is configured, and announced", async () => {
    const { lines, log } = recorder();
    const app = await track(await startTestApp({ NODE_ENV: "development" }, { log }));
    expect((await app.as(undefined).request(Who)).status).toBe(200);
    expect(lines.join("\n")).toMatch(/DEV MODE: requests without credentials run as the admin of tenant "dev"/);
  });

  it("is off once an API key exists, even outside production", async () => {
    const db = await database();
    const f = await createFixture(db.db);
    const key = await apiKey(db.db, f.tenantId, "VIEWER");
    const { lines, log } = recorder();
    const app = await createApp(loadConfig({ NODE_ENV: "development", DATABASE_URL: db.url }), { log });
    stops.push(() => app.stop());
    const { url } = await app.start(0, "127.0.0.1");
    const ask = (authorization?: string) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: "{ workflows { totalCount } }" }),
      });
    expect((await ask()).status).toBe(401);
    expect(await (await ask(key.authorization)).json()).toEqual({ data: { workflows: { totalCount: 3 } } });
    expect(lines.join("\n")).not.toMatch(/DEV MODE/);
  });

  it("refuses to start in production when no authentication is configured", async () => {
    const db = await database();
    const app = await createApp(loadConfig({ NODE_ENV: "production", DATABASE_URL: db.url, RUN_WORKER: "false" }), {
      log: recorder().log,
    });
    stops.push(() => app.stop());
    const started = app.start(0, "127.0.0.1");
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/No authentication is configured/);
  });

  it("runs in production only when explicitly enabled, and says so", async () => {
    const { lines, log } = recorder();
    const app = await track(await startTestApp({ NODE_ENV: "production", AUTH_DEV_MODE: "true" }, { log }));
    expect((await app.as(undefined).request(Who)).status).toBe(200);
    expect(lines.join("\n")).toMatch(/DEV MODE.*AUTH_DEV_MODE=true/);
  });

  it("requires JWT issuer and audience when JWTs are accepted", () => {
    expect(() => loadConfig({ JWT_SECRET: AUTH_ENV.JWT_SECRET })).toThrow(/JWT_ISSUER: required[\s\S]*JWT_AUDIENCE: required/);
    expect(() => loadConfig({ ...AUTH_ENV, JWT_JWKS_URL: "https://id.example/jwks.json" })).toThrow(/set only one/);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/at least 32 characters/);
  });
});

describe("rate limits on mutations", () => {
  const input = (n: number) => ({ id: encodeGlobalId("Execution", `00000000-0000-4000-8000-00000000000${n}`) });

  it("counts each root mutation field per API key and answers 429 RATE_LIMITED past the limit", async () => {
    const app = await track(await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false", RATE_LIMIT_MUTATIONS: "4" }));
    const f = await createFixture(app.app.db);
    const one = app.as((await apiKey(app.app.db, f.tenantId, "OPERATOR")).authorization);
    const two = app.as((await apiKey(app.app.db, f.tenantId, "OPERATOR")).authorization);
    // Two aliased mutations cost two points: the third request of `one` is over its 4.
    expect((await one.request(Cancel, { a: input(1), b: input(2) })).status).toBe(200);
    expect((await one.request(Cancel, { a: input(1), b: input(2) })).status).toBe(200);
    const limited = await one.request(Cancel, { a: input(1), b: input(2) });
    expect(limited.status).toBe(429);
    expect(limited.data ?? null).toBeNull();
    expect(limited.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    // Queries are not limited; another key has its own budget.
    expect((await one.request(Who)).status).toBe(200);
    expect((await two.request(Cancel, { a: input(1), b: input(2) })).status).toBe(200);
  });

  it("shares the count across server processes through Redis", async () => {
    const db = await database();
    await createFixture(db.db);
    const env = { ...AUTH_ENV, DATABASE_URL: db.url, RUN_WORKER: "false", RATE_LIMIT_MUTATIONS: "3", REDIS_URL: redisUrl };
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const app = await createApp(loadConfig(env), { log: recorder().log });
      stops.push(() => app.stop());
      urls.push((await app.start(0, "127.0.0.1")).url);
    }
    // A subject of its own: counters in Redis outlive this test.
    const authorization = bearer(await jwt({ tenant: "dev", role: "operator", sub: `rate-${randomUUID()}` }));
    const mutate = (url: string) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({ query: 'mutation { cancelExecution(input: { id: "x" }) { __typename } }' }),
      }).then((res) => res.status);
    expect([await mutate(urls[0] as string), await mutate(urls[1] as string), await mutate(urls[0] as string)]).toEqual([200, 200, 200]);
    expect(await mutate(urls[1] as string)).toBe(429);
  });

  it("counts per address without credentials (dev mode), with Retry-After", async () => {
    const app = await track(await startTestApp({ RUN_WORKER: "false", RATE_LIMIT_MUTATIONS: "2", RATE_LIMIT_WINDOW_MS: "60000" }));
    const body = JSON.stringify({
      query: "mutation { cancelExecution(input: { id: \"x\" }) { __typename } }",
    });
    const post = () => fetch(app.url, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });
});
