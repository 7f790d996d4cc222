// WEB_CONCURRENCY: one supervisor, N API processes sharing the port, the worker in the supervisor.
// A run started through any API process executes and its events reach subscribers on every one
// (through Redis); an API process that dies is replaced; SIGTERM stops them all; a failure at
// start stops everything with one line and leaves no process behind; /metrics answers for every
// process. Needs Redis.
import { execFileSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** The supervisor's API processes (not other children, e.g. tsx's esbuild service while its cache is cold). */
function childPids(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid), "-f", "src/main.ts"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function graphql<T>(url: string, query: string, variables?: unknown): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const METRICS_TOKEN = "cluster-metrics-token";

/** A POST on a connection of its own: the cluster hands each new connection to the next API process. */
function postOnNewConnection(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

describe("WEB_CONCURRENCY=2", () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = startServerProcess({
      NODE_ENV: "test",
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      WEB_CONCURRENCY: "2",
      PORT: String(await freePort()),
      METRICS_TOKEN,
    });
    [, url] = (await server.waitFor(/ready at (\S+) .*2 API processes/)) as unknown as [string, string];
  }, 120_000);
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
    await database.drop();
  });

  it("runs a workflow started through the API processes, its events reaching them", { timeout: 60_000 }, async () => {
    // Two sockets: round-robin puts them on different API processes (or both on one; either way
    // the events come from the worker in the supervisor, through Redis).
    // The run's delay gives each process's Redis SUBSCRIBE time to be in place before it ends.
    const clients = [0, 1].map(() => createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 }));
    const completions = clients.map(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client.subscribe(
            { query: "subscription { executionsChanged { status } }" },
            {
              next: (r) => (r.data as { executionsChanged: { status: string } }).executionsChanged.status === "COMPLETED" && resolve(),
              error: reject,
              complete: () => {},
            },
          );
        }),
    );
    // A query answered on each socket: both are connected and their subscriptions started.
    await Promise.all(clients.map((client) => new Promise((resolve) => client.subscribe({ query: "{ __typename }" }, { next: resolve, error: resolve, complete: () => {} }))));
    const created = await graphql<{ createWorkflow: { workflow: { id: string } } }>(
      url,
      `mutation($input: CreateWorkflowInput!) {
        createWorkflow(input: $input) { ... on CreateWorkflowSuccess { workflow { id } } ... on Error { code message } }
      }`,
      { input: { name: "clustered", definition: { steps: [{ id: "wait", type: "delay", config: { ms: 1500 } }] } } },
    );
    expect(created.createWorkflow.workflow, JSON.stringify(created)).toBeDefined();
    const workflowId = created.createWorkflow.workflow.id;
    const started = await graphql<{ startExecution: { execution: { id: string } } }>(
      url,
      `mutation($input: StartExecutionInput!) { startExecution(input: $input) { ... on StartExecutionSuccess { execution { id } } } }`,
      { input: { workflowId } },
    );
    const id = started.startExecution.execution.id;
    for (;;) {
      const { execution } = await graphql<{ execution: { status: string } }>(url, `query($id: ID!) { execution(id: $id) { status } }`, { id });
      if (execution.status === "COMPLETED") break;
      expect(["PENDING", "QUEUED", "RUNNING"]).toContain(execution.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(completions);
    await Promise.all(clients.map((client) => client.dispose()));
  });

  it("answers /metrics for every process: each API process's requests and the supervisor's worker", { timeout: 60_000 }, async () => {
    const probes = 20;
    for (let i = 0; i < probes; i++) expect(await postOnNewConnection(url, { query: "query MetricsProbe { __typename }" })).toBe(200);
    const metricsUrl = url.replace(/\/graphql$/, "/metrics");
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const count = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? Number.NaN);
    // Spread over both API processes (round robin), counted once each: one process alone holds about half.
    expect(count(/stepstream_graphql_request_duration_seconds_count\{[^}]*operation="MetricsProbe"[^}]*\} (\d+)/)).toBe(probes);
    // The first test's run: its step ran in the supervisor's worker, which serves no HTTP itself.
    expect(count(/stepstream_steps_total\{type="delay",outcome="completed"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it("replaces an API process that dies, and keeps answering", { timeout: 60_000 }, async () => {
    const before = childPids(server.child.pid as number);
    expect(before).toHaveLength(2);
    const from = server.output().length;
    process.kill(before[0] as number, "SIGKILL");
    await server.waitFor(/exited \(SIGKILL\); starting another/, 30_000, from);
    for (;;) {
      const now = childPids(server.child.pid as number);
      if (now.length === 2 && !now.includes(before[0] as number)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await expect(graphql(url, "{ workflows(first: 1) { totalCount } }")).resolves.toBeDefined();
  });

  it("stops every process on SIGTERM", { timeout: 60_000 }, async () => {
    const children = childPids(server.child.pid as number);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(children.filter(alive)).toEqual([]);
  });
});

describe("WEB_CONCURRENCY failures at start", () => {
  it("needs REDIS_URL, and says so in one line", { timeout: 60_000 }, async () => {
    const server = startServerProcess({ NODE_ENV: "test", DATABASE_URL: "postgresql://127.0.0.1:1/x", WEB_CONCURRENCY: "2" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/WEB_CONCURRENCY: more than one API process needs REDIS_URL/);
    expect(server.output()).not.toMatch(/\n\s+at /);
  });

  it("stops everything when the port is taken, leaving no process", { timeout: 120_000 }, async () => {
    const database = await createTestDatabase();
    const taken = net.createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, "127.0.0.1", () => resolve((taken.address() as net.AddressInfo).port)));
    try {
      const server = startServerProcess({
        NODE_ENV: "test",
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        WEB_CONCURRENCY: "2",
        PORT: String(port),
      });
      const pid = server.child.pid as number;
      const seen = new Set<number>();
      const watch = setInterval(() => childPids(pid).forEach((p) => seen.add(p)), 50);
      const code = await server.exited;
      clearInterval(watch);
      expect(code).toBe(1);
      expect(server.output()).toMatch(/An API process failed to start/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([...seen].filter(alive)).toEqual([]);
    } finally {
      taken.close();
      await database.drop();
    }
  });
});
