// Subscriptions end to end: the real app, runs executed by its worker, and real clients — graphql-ws
// over WebSocket and server-sent events over fetch.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DEV_TENANT_SLUG } from "../../src/db/tenants.ts";
import { executionTopic, type EventBus, tenantTopic } from "../../src/realtime/event-bus.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { gid } from "../support/executions.ts";
import { createWorkflow, detail, startRunId, waitForRun } from "../support/engine.ts";

const ExecutionEvents = graphql(`
  subscription SubExecutionEvents($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) {
      id
      sequence
      type
      executionStatus
      step { key }
    }
  }
`);

const ExecutionEventsLean = graphql(`
  subscription SubExecutionEventsLean($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) { sequence type }
  }
`);

const ExecutionUpdated = graphql(`
  subscription SubExecutionUpdated($id: ID!) {
    executionUpdated(id: $id) {
      id
      status
      progress { totalSteps completedSteps percent }
    }
  }
`);

const StepCompleted = graphql(`
  subscription SubStepCompleted($executionId: ID) {
    stepCompleted(executionId: $executionId) {
      key
      status
      execution { id }
    }
  }
`);

const ExecutionsChanged = graphql(`
  subscription SubExecutionsChanged($filter: ExecutionFilter) {
    executionsChanged(filter: $filter) {
      id
      status
      workflow { id }
    }
  }
`);

const Cancel = graphql(`
  mutation SubCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) { __typename }
  }
`);

type GraphQLError = { message: string; extensions?: { code?: string } };

/** What one subscription received, whatever the transport. */
type Received<T> = {
  data: T[];
  errors: GraphQLError[];
  completed: boolean;
  /** Ends the subscription from the client's side (unsubscribe / abort). */
  stop(): void;
};

let app: TestApp;
let wsClient: Client;
const stops: (() => void)[] = [];

beforeAll(async () => {
  app = await startTestApp();
  wsClient = connect();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  // Every subscription a test started is gone once its client is: nothing leaks into the next.
  await waitFor(() => bus().listenerCount() === 0, 2_000);
});
afterAll(async () => {
  await wsClient.dispose();
  await app.stop();
});

function connect(): Client {
  return createClient({ url: app.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
}

function bus(): EventBus {
  const events = (app.app as { events?: EventBus }).events;
  if (!events) throw new Error("App.events is not exposed");
  return events;
}

async function devTenantTopic(): Promise<string> {
  const tenant = await app.app.db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT_SLUG } });
  return tenantTopic(tenant.id);
}

const uuidOf = (globalId: string) => Buffer.from(globalId, "base64url").toString("utf8").split(":")[1] as string;

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function overWs<T, V>(document: TypedDocumentNode<T, V>, variables: V, client = wsClient): Received<T> {
  const received: Received<T> = { data: [], errors: [], completed: false, stop: () => {} };
  received.stop = client.subscribe<T>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors) received.errors.push(...(result.errors as GraphQLError[]));
        if (result.data) received.data.push(result.data);
      },
      error: (error) => {
        received.errors.push(...(Array.isArray(error) ? error : [{ message: String(error) }]));
        received.completed = true;
      },
      complete: () => {
        received.completed = true;
      },
    },
  );
  stops.push(received.stop);
  return received;
}

function overSse<T, V>(document: TypedDocumentNode<T, V>, variables: V): Received<T> {
  const abort = new AbortController();
  const received: Received<T> = { data: [], errors: [], completed: false, stop: () => abort.abort() };
  stops.push(received.stop);
  void (async () => {
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: print(document), variables }),
      signal: abort.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const lines = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
        const data = lines
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n");
        if (event === "complete") received.completed = true;
        if (!data) continue;
        const result = JSON.parse(data) as { data?: T; errors?: GraphQLError[] };
        if (result.errors) received.errors.push(...result.errors);
        if (result.data) received.data.push(result.data);
      }
    }
    received.completed = true;
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) received.errors.push({ message: String(error) });
    received.completed = true;
  });
  return received;
}

const transports = { WebSocket: overWs, SSE: overSse } as const;

type Event = { sequence: number; type: string; step?: { key: string } | null };
const sequences = (events: readonly Event[]) => events.map((e) => e.sequence);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A chain of delays: a → b → c ..., each `ms` long. */
function chain(keys: string[], ms: number) {
  return { steps: keys.map((id, i) => ({ id, type: "delay", config: { ms }, ...(i > 0 ? { dependsOn: [keys[i - 1]] } : {}) })) };
}

async function persistedEvents(id: string): Promise<{ sequence: number; type: string }[]> {
  const run = await detail(app, id);
  return (run?.events.edges ?? []).map((e) => ({ sequence: e.node.sequence, type: e.node.type }));
}

async function cancel(id: string) {
  await app.query(Cancel, { input: { id, reason: "test over" } });
}

describe.each(Object.entries(transports))("executionEvents over %s", (_name, subscribe) => {
  it("streams every event, 1..N in order, and completes after EXECUTION_COMPLETED", async () => {
    const workflowId = await createWorkflow(app, chain(["a", "b", "c"], 50));
    const id = await startRunId(app, workflowId);
    const sub = subscribe(ExecutionEvents, { executionId: id });
    await waitFor(() => sub.completed);
    expect(sub.errors).toEqual([]);
    const events = sub.data.map((d) => d.executionEvents);
    expect(sequences(events)).toEqual(range(1, events.length));
    expect(events.at(-1)?.type).toBe("EXECUTION_COMPLETED");
    expect(events.map(({ sequence, type }) => ({ sequence, type }))).toEqual(await persistedEvents(id));
    // Relations resolve too.
    expect(events.filter((e) => e.type === "STEP_COMPLETED").map((e) => e.step?.key)).toEqual(["a", "b", "c"]);
  });

  it("resumes after a disconnect with afterSequence: no gap, no duplicate", async () => {
    const workflowId = await createWorkflow(app, chain(["a", "b", "c", "d"], 100));
    const id = await startRunId(app, workflowId);
    const first = subscribe(ExecutionEvents, { executionId: id });
    await waitFor(() => first.data.some((d) => d.executionEvents.type === "STEP_STARTED"));
    first.stop();
    const seen = first.data.map((d) => d.executionEvents);
    const last = seen.at(-1)?.sequence as number;
    // Events happen while the client is away.
    await waitFor(async () => (await persistedEvents(id)).length > last + 2);
    const second = subscribe(ExecutionEvents, { executionId: id, afterSequence: last });
    await waitFor(() => second.completed);
    expect(second.errors).toEqual([]);
    const union = [...seen, ...second.data.map((d) => d.executionEvents)];
    expect(sequences(union)).toEqual(range(1, union.length));
    expect(union.at(-1)?.type).toBe("EXECUTION_COMPLETED");
    expect(union.length).toBe((await persistedEvents(id)).length);
  });

  it("releases the bus listener as soon as the client goes away, with no further event", async () => {
    const workflowId = await createWorkflow(app, chain(["sleep"], 20_000));
    const id = await startRunId(app, workflowId);
    const topic = executionTopic(uuidOf(id));
    const sub = subscribe(ExecutionEvents, { executionId: id });
    await waitFor(() => sub.data.some((d) => d.executionEvents.type === "STEP_STARTED"));
    expect(bus().listenerCount(topic)).toBe(1);
    const eventsBefore = (await persistedEvents(id)).length;
    sub.stop();
    await waitFor(() => bus().listenerCount(topic) === 0, 2_000);
    // Released while the run was asleep: no event came to wake the subscription up.
    expect((await persistedEvents(id)).length).toBe(eventsBefore);
    await cancel(id);
  });
});

describe("executionEvents", () => {
  it("of a finished execution replays what follows afterSequence and completes; nothing when all was seen", async () => {
    const workflowId = await createWorkflow(app, chain(["a"], 1));
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    const total = (await persistedEvents(id)).length;
    const tail = overWs(ExecutionEvents, { executionId: id, afterSequence: total - 2 });
    const nothing = overWs(ExecutionEvents, { executionId: id, afterSequence: total });
    await waitFor(() => tail.completed && nothing.completed);
    expect(sequences(tail.data.map((d) => d.executionEvents))).toEqual([total - 1, total]);
    expect(nothing.data).toEqual([]);
    expect(nothing.errors).toEqual([]);
  });

  it("replays a page of events in one query when no relation is selected", async () => {
    const id = await startRunId(app, await createWorkflow(app, chain(["a", "b", "c", "d", "e"], 1)));
    await waitForRun(app, id);
    const persisted = await persistedEvents(id);
    app.statements.length = 0;
    const sub = overSse(ExecutionEventsLean, { executionId: id });
    await waitFor(() => sub.completed);
    expect(sub.data.map((d) => d.executionEvents)).toEqual(persisted);
    const eventReads = app.statements.filter((sql) => /FROM "public"\."ExecutionEvent"/.test(sql));
    expect(eventReads).toHaveLength(1);
  });

  it("answers NOT_FOUND for a missing or foreign execution and BAD_USER_INPUT for bad arguments", async () => {
    const db = app.app.db;
    const other = await db.tenant.create({ data: { slug: `other-${Date.now()}`, name: "Other" } });
    const workflow = await db.workflow.create({ data: { tenantId: other.id, name: "theirs" } });
    const foreign = await db.execution.create({
      data: { tenantId: other.id, workflowId: workflow.id, workflowVersion: 1 },
    });
    const cases = [
      [{ executionId: gid("Execution", "00000000-0000-4000-8000-000000000000") }, "NOT_FOUND"],
      [{ executionId: gid("Execution", foreign.id) }, "NOT_FOUND"],
      [{ executionId: gid("Workflow", workflow.id) }, "BAD_USER_INPUT"],
      [{ executionId: gid("Execution", foreign.id), afterSequence: -1 }, "BAD_USER_INPUT"],
    ] as const;
    for (const [variables, code] of cases) {
      for (const subscribe of Object.values(transports)) {
        const sub = subscribe(ExecutionEvents, variables);
        await waitFor(() => sub.completed);
        expect(sub.data).toEqual([]);
        expect(sub.errors.map((e) => e.extensions?.code)).toEqual([code]);
      }
    }
    expect(bus().listenerCount()).toBe(0);
  });
});

describe("executionUpdated", () => {
  it("sends the fresh execution on changes and completes once it has finished", async () => {
    const workflowId = await createWorkflow(app, chain(["a", "b"], 50));
    const id = await startRunId(app, workflowId);
    const sub = overWs(ExecutionUpdated, { id });
    await waitFor(() => sub.completed);
    expect(sub.errors).toEqual([]);
    const updates = sub.data.map((d) => d.executionUpdated);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => u.id === id)).toBe(true);
    expect(updates.at(-1)).toMatchObject({ status: "COMPLETED", progress: { totalSteps: 2, completedSteps: 2, percent: 100 } });
    // A finished execution has nothing more to tell.
    const late = overSse(ExecutionUpdated, { id });
    await waitFor(() => late.completed);
    expect(late.data).toEqual([]);
    expect(late.errors).toEqual([]);
  });

  it("releases its listener when the client goes away", async () => {
    const id = await startRunId(app, await createWorkflow(app, chain(["sleep"], 20_000)));
    await waitForRun(app, id, (run) => run.status === "RUNNING");
    const topic = executionTopic(uuidOf(id));
    const sub = overSse(ExecutionUpdated, { id });
    await waitFor(() => bus().listenerCount(topic) === 1);
    sub.stop();
    await waitFor(() => bus().listenerCount(topic) === 0, 2_000);
    await cancel(id);
  });
});

describe("stepCompleted", () => {
  it("sends each finished step of one execution and completes with it", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "a", type: "delay", config: { ms: 20 } },
        { id: "boom", type: "fail", dependsOn: ["a"], critical: false, config: { message: "expected" } },
        { id: "c", type: "delay", dependsOn: ["a"], config: { ms: 20 } },
      ],
    });
    const id = await startRunId(app, workflowId);
    const sub = overWs(StepCompleted, { executionId: id });
    await waitFor(() => sub.completed);
    expect(sub.errors).toEqual([]);
    const steps = sub.data.map((d) => d.stepCompleted);
    expect(steps.map((s) => `${s.key}:${s.status}`).sort()).toEqual(["a:COMPLETED", "boom:FAILED", "c:COMPLETED"]);
    expect(steps.every((s) => s.execution.id === id)).toBe(true);
  });

  it("without executionId sends the steps of every execution of the tenant", async () => {
    const topic = await devTenantTopic();
    const sub = overSse(StepCompleted, {});
    await waitFor(() => bus().listenerCount(topic) === 1);
    const first = await startRunId(app, await createWorkflow(app, chain(["x"], 10)));
    const second = await startRunId(app, await createWorkflow(app, chain(["y", "z"], 10)));
    await waitFor(() => {
      const keys = sub.data.map((d) => d.stepCompleted.key);
      return ["x", "y", "z"].every((k) => keys.includes(k));
    });
    const byExecution = new Map(sub.data.map((d) => [d.stepCompleted.key, d.stepCompleted.execution.id]));
    expect(byExecution.get("x")).toBe(first);
    expect(byExecution.get("z")).toBe(second);
    expect(sub.completed).toBe(false);
  });
});

describe("executionsChanged", () => {
  it("sends executions whose status changed and that match the filter", async () => {
    const watched = await createWorkflow(app, chain(["a"], 10));
    const ignored = await createWorkflow(app, chain(["a"], 10));
    const topic = await devTenantTopic();
    const sub = overWs(ExecutionsChanged, { filter: { workflowId: watched, status: ["COMPLETED"] } });
    await waitFor(() => bus().listenerCount(topic) === 1);
    const other = await startRunId(app, ignored);
    const mine = await startRunId(app, watched);
    await waitForRun(app, other);
    await waitForRun(app, mine);
    await waitFor(() => sub.data.length > 0);
    expect(sub.errors).toEqual([]);
    expect(sub.data.map((d) => d.executionsChanged)).toEqual([{ id: mine, status: "COMPLETED", workflow: { id: watched } }]);
    sub.stop();
    await waitFor(() => bus().listenerCount(topic) === 0, 2_000);
  });

  it("matches the status the event committed, not the one read later: a run is sent once, when it completes", async () => {
    // A short run may have finished by the time its EXECUTION_STARTED is checked; replaying the
    // events of a finished run makes that late check happen every time.
    const watched = await createWorkflow(app, chain(["a"], 1));
    const done = await startRunId(app, watched);
    await waitForRun(app, done);
    const tenant = await app.app.db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT_SLUG } });
    const sub = overWs(ExecutionsChanged, { filter: { workflowId: watched, status: ["COMPLETED"] } });
    await waitFor(() => bus().listenerCount(tenantTopic(tenant.id)) === 1);
    const rows = await app.app.db.executionEvent.findMany({ where: { executionId: uuidOf(done) }, orderBy: { sequence: "asc" } });
    expect(rows.map((r) => r.type)).toContain("EXECUTION_STARTED");
    bus().publish(rows.map((row) => ({ ...row, tenantId: tenant.id, data: row.data as null })));
    await waitFor(() => sub.data.length > 0);
    // Everything published has been checked once a later event has been.
    const marker = await startRunId(app, watched);
    await waitForRun(app, marker);
    await waitFor(() => sub.data.length > 1);
    expect(sub.data.map((d) => d.executionsChanged.id)).toEqual([done, marker]);
  });

  it("rejects an invalid filter when subscribing", async () => {
    const sub = overWs(ExecutionsChanged, { filter: { workflowId: "nope" } });
    await waitFor(() => sub.completed);
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("a subscriber that falls too far behind", () => {
  it.each(Object.entries(transports))("is ended over %s with SUBSCRIPTION_OVERFLOW, and nothing else is", async (_name, subscribe) => {
    const tenant = await app.app.db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT_SLUG } });
    const topic = tenantTopic(tenant.id);
    const behind = subscribe(StepCompleted, {});
    await waitFor(() => bus().listenerCount(topic) === 1);
    // More than the 1000 a subscriber may have pending, in one tick.
    const executionId = "00000000-0000-4000-8000-0000000000ff";
    bus().publish(
      Array.from({ length: 1_500 }, (_, i) => ({
        id: `${i}`,
        tenantId: tenant.id,
        executionId,
        sequence: i + 1,
        type: "STEP_STARTED" as const,
        executionStatus: "RUNNING" as const,
        stepId: null,
        batchId: null,
        at: new Date(),
        data: null,
      })),
    );
    await waitFor(() => behind.completed);
    expect(behind.data).toEqual([]);
    expect(behind.errors).toMatchObject([
      { extensions: { code: "SUBSCRIPTION_OVERFLOW" }, message: expect.stringMatching(/fell more than 1000 events behind/) },
    ]);
    // The app is fine: a run still streams.
    const id = await startRunId(app, await createWorkflow(app, chain(["a"], 1)));
    const after = subscribe(ExecutionEvents, { executionId: id });
    await waitFor(() => after.completed);
    expect(after.data.at(-1)?.executionEvents.type).toBe("EXECUTION_COMPLETED");
  });
});

describe("server-sent events", () => {
  // Yoga's node adapter never reads (nor cancels) the body of a response whose client left before
  // it was ready; only the request's abort signal tells the subscription.
  it("release the listener of a client that leaves before the response is ready", async () => {
    const id = await startRunId(app, await createWorkflow(app, chain(["sleep"], 20_000)));
    await waitForRun(app, id, (run) => run.status === "RUNNING");
    for (let i = 0; i < 20; i++) {
      const sub = overSse(ExecutionUpdated, { id });
      await waitFor(() => bus().listenerCount() === 1);
      sub.stop();
      await waitFor(() => bus().listenerCount() === 0, 2_000);
    }
    await cancel(id);
  });
});

describe("one socket", () => {
  it("carries many subscriptions and releases them all when it closes", async () => {
    const client = connect();
    const id = await startRunId(app, await createWorkflow(app, chain(["sleep"], 20_000)));
    await waitForRun(app, id, (run) => run.status === "RUNNING");
    overWs(ExecutionEvents, { executionId: id }, client);
    overWs(ExecutionUpdated, { id }, client);
    overWs(StepCompleted, { executionId: id }, client);
    overWs(StepCompleted, {}, client);
    overWs(ExecutionsChanged, {}, client);
    await waitFor(() => bus().listenerCount() === 5);
    await client.dispose();
    await waitFor(() => bus().listenerCount() === 0, 2_000);
    await cancel(id);
  });
});

describe("app.stop()", () => {
  it("ends open WebSocket and SSE subscriptions instead of waiting for them", async () => {
    const other = await startTestApp();
    try {
      const id = await startRunId(other, await createWorkflow(other, chain(["sleep"], 20_000)));
      await waitForRun(other, id, (run) => run.status === "RUNNING");
      const events = (other.app as { events?: EventBus }).events as EventBus;
      const client = createClient({ url: other.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
      let wsDone = false;
      client.subscribe(
        { query: print(ExecutionUpdated), variables: { id } },
        { next: () => {}, error: () => (wsDone = true), complete: () => (wsDone = true) },
      );
      const res = await fetch(other.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: print(ExecutionUpdated), variables: { id } }),
      });
      const sse = (async () => {
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        while (!(await reader.read()).done);
      })();
      await waitFor(() => events.listenerCount() === 2);
      const started = Date.now();
      await other.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
      await sse;
      await waitFor(() => wsDone);
      await client.dispose();
    } catch (error) {
      await other.stop().catch(() => {});
      throw error;
    }
  }, 60_000);
});
