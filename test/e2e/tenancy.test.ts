// Tenant B, with an admin key of its own, against tenant A's objects: every read, lookup,
// mutation and subscription behaves exactly as for an ID that does not exist, and A's rows and
// event stream are untouched. The tenant comes only from the credentials.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

const ExecutionById = graphql(`
  query TenancyExecution($id: ID!) {
    execution(id: $id) { id status }
    node(id: $id) { id }
  }
`);

const WorkflowById = graphql(`
  query TenancyWorkflow($id: ID!) {
    workflow(id: $id) { id name }
  }
`);

const Lists = graphql(`
  query TenancyLists {
    workflows(first: 100) { totalCount edges { node { id } } }
    executions(first: 100) { totalCount edges { node { id } } }
    steps(first: 100) { totalCount }
    executionStats { total }
  }
`);

const Start = graphql(`
  mutation TenancyStart($input: StartExecutionInput!) {
    startExecution(input: $input) {
      __typename
      ... on StartExecutionSuccess { execution { id } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation TenancyCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const Retry = graphql(`
  mutation TenancyRetry($input: RetryExecutionInput!) {
    retryExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const Delete = graphql(`
  mutation TenancyDelete($input: DeleteExecutionInput!) {
    deleteExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const Update = graphql(`
  mutation TenancyUpdate($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) { __typename ... on Error { code message } }
  }
`);

let app: TestApp;
let f: Fixture;
let a: Requester;
let b: Requester;

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false" });
  f = await createFixture(app.app.db);
  a = app.as((await apiKey(app.app.db, f.tenantId, "ADMIN")).authorization);
  b = app.as((await apiKey(app.app.db, f.otherTenantId, "ADMIN")).authorization);
});
afterAll(() => app?.stop());

const ex = (id: string) => encodeGlobalId("Execution", id);
const wf = (id: string) => encodeGlobalId("Workflow", id);
/** The error with the ID it names taken out: a foreign ID must read exactly like a missing one. */
const shape = (payload: { __typename: string; code?: string; message?: string }) => ({
  ...payload,
  message: payload.message?.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>"),
});

async function snapshotOfA() {
  const db = app.app.db;
  const where = { tenantId: f.tenantId };
  return {
    workflows: await db.workflow.findMany({ where, orderBy: { id: "asc" } }),
    executions: await db.execution.findMany({ where, orderBy: { id: "asc" } }),
    events: await db.executionEvent.count({ where }),
    steps: await db.step.count({ where }),
  };
}

describe("tenant B against tenant A", () => {
  it("reads: A's execution and workflow are null by ID and absent from every list", async () => {
    const foreign = ex(f.executions.e1 as string);
    const missing = ex(randomUUID());
    expect(await b.request(ExecutionById, { id: foreign })).toEqual({ data: { execution: null, node: null }, status: 200 });
    expect(await b.request(ExecutionById, { id: missing })).toEqual({ data: { execution: null, node: null }, status: 200 });
    expect(await b.query(WorkflowById, { id: wf(f.workflows.alpha) })).toEqual({ workflow: null });

    const lists = await b.query(Lists);
    expect(lists.workflows.edges.map((e) => e.node.id)).toEqual([wf(f.workflows.other)]);
    expect(lists.executions.edges.map((e) => e.node.id)).toEqual([ex(f.otherExecution)]);
    expect(lists.executionStats.total).toBe(1);
    const own = await a.query(Lists);
    expect(own.executions.totalCount).toBeGreaterThan(1);
    expect(own.executions.edges.map((e) => e.node.id)).not.toContain(ex(f.otherExecution));
  });

  it("mutations: A's IDs answer NOT_FOUND exactly like missing ones, and A's rows are untouched", async () => {
    const before = await snapshotOfA();
    const cancelFor = async (id: string) => (await b.query(Cancel, { input: { id, reason: "hostile" } })).cancelExecution;
    const retryFor = async (id: string) => (await b.query(Retry, { input: { id } })).retryExecution;
    const startFor = async (id: string) => (await b.query(Start, { input: { workflowId: id } })).startExecution;
    const deleteFor = async (id: string) => (await b.query(Delete, { input: { id } })).deleteExecution;
    const updateFor = async (id: string) => (await b.query(Update, { input: { id, name: "taken over" } })).updateWorkflow;
    for (const [run, foreign, missing] of [
      [cancelFor, ex(f.executions.e4 as string), ex(randomUUID())],
      [retryFor, ex(f.executions.e2 as string), ex(randomUUID())],
      [startFor, wf(f.workflows.alpha), wf(randomUUID())],
      [updateFor, wf(f.workflows.alpha), wf(randomUUID())],
      [deleteFor, ex(f.executions.e1 as string), ex(randomUUID())],
    ] as const) {
      const theirs = shape(await run(foreign));
      const nobodys = shape(await run(missing));
      expect(theirs).toEqual(nobodys);
      expect(theirs).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    }
    expect(await snapshotOfA()).toEqual(before);
  });

  it("idempotency keys are per tenant: B's key never returns A's run", async () => {
    const key = `order-${randomUUID()}`;
    const fromA = await a.query(Start, { input: { workflowId: wf(f.workflows.beta), idempotencyKey: key } });
    const fromB = await b.query(Start, { input: { workflowId: wf(f.workflows.other), idempotencyKey: key } });
    const idOf = (r: typeof fromA) =>
      r.startExecution.__typename === "StartExecutionSuccess" ? r.startExecution.execution.id : r.startExecution.__typename;
    expect(idOf(fromA)).toMatch(/./);
    expect(idOf(fromB)).not.toBe(idOf(fromA));
    const again = await b.query(Start, { input: { workflowId: wf(f.workflows.other), idempotencyKey: key } });
    expect(idOf(again)).toBe(idOf(fromB));
  });

  it("subscriptions: A's execution is NOT_FOUND over SSE, exactly like a missing one", async () => {
    const authorization = (await apiKey(app.app.db, f.otherTenantId, "VIEWER")).authorization;
    const subscribe = async (id: string) => {
      const res = await fetch(app.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization },
        body: JSON.stringify({ query: "subscription($id: ID!) { executionEvents(executionId: $id) { sequence } }", variables: { id } }),
      });
      const text = await res.text();
      const next = /event: next\ndata: (.*)\n/.exec(text);
      return JSON.parse(next?.[1] ?? "null") as { errors?: { message: string; extensions?: { code?: string } }[] };
    };
    const foreign = ex(f.executions.e4 as string);
    const missing = ex(randomUUID());
    const theirs = await subscribe(foreign);
    const nobodys = await subscribe(missing);
    expect(theirs.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(theirs.errors?.[0]?.message.replace(foreign, "<id>")).toBe(nobodys.errors?.[0]?.message.replace(missing, "<id>"));
  });
});
