// Who started a run and what it ran: actors from an API key, a JWT and dev mode, the trigger
// source that follows from them, filters by startedBy and externalId, workflow versions with who
// saved them, and retries on the version the run ran, on the latest one, and with edited input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey, bearer, jwt } from "../support/auth.ts";

const CreateWorkflow = graphql(`
  mutation OriginsCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id } }
      ... on Error { code message }
    }
  }
`);

const UpdateWorkflow = graphql(`
  mutation OriginsUpdateWorkflow($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) { __typename ... on Error { code message } }
  }
`);

const Start = graphql(`
  mutation OriginsStart($input: StartExecutionInput!) {
    startExecution(input: $input) {
      __typename
      ... on StartExecutionSuccess {
        execution { id triggerSource externalId startedBy { kind id name } }
      }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation OriginsCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) {
      __typename
      ... on CancelExecutionSuccess {
        execution { id status cancelReason cancelledBy { kind id name } }
      }
      ... on Error { code message }
    }
  }
`);

const Retry = graphql(`
  mutation OriginsRetry($input: RetryExecutionInput!) {
    retryExecution(input: $input) {
      __typename
      ... on RetryExecutionSuccess { execution { id } }
      ... on Error { code message }
    }
  }
`);

const Run = graphql(`
  query OriginsRun($id: ID!) {
    execution(id: $id) {
      id status triggerSource workflowVersion input externalId cancelReason
      startedBy { kind id name }
      cancelledBy { kind id name }
      definition { id version definition createdBy { kind id name } workflow { id } }
      events(first: 1) { edges { node { type data } } }
    }
  }
`);

const Runs = graphql(`
  query OriginsRuns($filter: ExecutionFilter) {
    executions(first: 50, filter: $filter) {
      totalCount
      edges { node { id externalId triggerSource startedBy { kind id name } definition { version } } }
    }
  }
`);

const Versions = graphql(`
  query OriginsVersions($id: ID!, $first: Int, $after: String) {
    workflow(id: $id) {
      version
      versions(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id version definition createdAt createdBy { kind id name } workflow { id } } }
      }
    }
  }
`);

const Node = graphql(`
  query OriginsNode($id: ID!) {
    node(id: $id) { __typename ... on WorkflowVersion { version } }
  }
`);

const failing = (message: string) => ({
  retry: { maxAttempts: 1 },
  steps: [{ id: "boom", type: "fail", config: { message } }],
});
const ok = { steps: [{ id: "hello", type: "log", config: { message: "hello {{input.name}}" } }] };
const slow = { steps: [{ id: "wait", type: "delay", config: { ms: 60_000 } }] };

let app: TestApp;
let admin: { id: string; authorization: string };
let operatorKey: { id: string; authorization: string };
let viewer: Requester;
let user: Requester;
let counter = 0;

async function createWorkflow(as: Requester, definition: unknown) {
  counter += 1;
  const { createWorkflow } = await as.query(CreateWorkflow, { input: { name: `origins-${counter}`, definition } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow.id;
}

async function start(as: Requester, input: { workflowId: string; input?: unknown; externalId?: string }) {
  const { startExecution } = await as.query(Start, { input });
  if (startExecution.__typename !== "StartExecutionSuccess") throw new Error(JSON.stringify(startExecution));
  return startExecution.execution;
}

async function waitForStatus(id: string, statuses: string[]) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { execution } = await app.as(admin.authorization).query(Run, { id });
    if (execution && statuses.includes(execution.status)) return execution;
    if (Date.now() > deadline) throw new Error(`run ${id} is still ${execution?.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  app = await startTestApp(AUTH_ENV);
  const tenant = await ensureDevTenant(app.app.db);
  admin = await apiKey(app.app.db, tenant.id, "ADMIN", "deploy-bot");
  operatorKey = await apiKey(app.app.db, tenant.id, "OPERATOR", "shop-backend");
  viewer = app.as((await apiKey(app.app.db, tenant.id, "VIEWER")).authorization);
  user = app.as(bearer(await jwt({ tenant: "dev", role: "operator", sub: "ada@acme.example" })));
});
afterAll(() => app?.stop());

describe("actors and trigger sources", () => {
  it("records an API key as API_KEY (its global ID and name), started through the API", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    const run = await start(app.as(operatorKey.authorization), { workflowId, input: { name: "x" } });
    expect(run.triggerSource).toBe("API");
    expect(run.startedBy).toEqual({ kind: "API_KEY", id: encodeGlobalId("ApiKey", operatorKey.id), name: "shop-backend" });
  });

  it("records a JWT subject as USER, started MANUAL", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    const run = await start(user, { workflowId });
    expect(run.triggerSource).toBe("MANUAL");
    expect(run.startedBy).toEqual({ kind: "USER", id: "ada@acme.example", name: "ada@acme.example" });
    const { execution } = await user.query(Run, { id: run.id });
    expect(execution?.events.edges[0]?.node).toMatchObject({
      type: "EXECUTION_QUEUED",
      data: { triggerSource: "MANUAL", startedBy: { kind: "USER", id: "ada@acme.example" } },
    });
  });

  it("records who cancelled a run and why", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), slow);
    const run = await start(app.as(operatorKey.authorization), { workflowId });
    const { cancelExecution } = await user.query(Cancel, { input: { id: run.id, reason: "wrong customer" } });
    expect(cancelExecution).toMatchObject({
      __typename: "CancelExecutionSuccess",
      execution: {
        status: "CANCELLED",
        cancelReason: "wrong customer",
        cancelledBy: { kind: "USER", id: "ada@acme.example", name: "ada@acme.example" },
      },
    });
    // The dashboard statement reads the same columns as the node lookup.
    const { executions } = await viewer.query(Runs, { filter: { workflowId } });
    expect(executions.edges[0]?.node.startedBy.kind).toBe("API_KEY");
  });

  it("a manual retry is RETRY, started by whoever asked; an untouched run has no cancelledBy", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), failing("no"));
    const run = await start(app.as(operatorKey.authorization), { workflowId });
    const failed = await waitForStatus(run.id, ["FAILED"]);
    expect(failed.cancelledBy).toBeNull();
    const { retryExecution } = await user.query(Retry, { input: { id: run.id } });
    if (retryExecution.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(retryExecution));
    const { execution } = await user.query(Run, { id: retryExecution.execution.id });
    expect(execution).toMatchObject({ triggerSource: "RETRY", startedBy: { kind: "USER", id: "ada@acme.example" } });
  });
});

describe("filters", () => {
  it("finds runs by startedBy and externalId, counted exactly", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    const a = await start(app.as(operatorKey.authorization), { workflowId, externalId: "order-1001" });
    const b = await start(user, { workflowId, externalId: "order-1002" });
    const c = await start(user, { workflowId });
    expect(a.externalId).toBe("order-1001");

    const byExternal = await viewer.query(Runs, { filter: { externalId: "order-1002" } });
    expect(byExternal.executions.edges.map((e) => e.node.id)).toEqual([b.id]);
    expect(byExternal.executions.totalCount).toBe(1);

    const byUser = await viewer.query(Runs, { filter: { workflowId, startedBy: "ada@acme.example" } });
    expect(byUser.executions.edges.map((e) => e.node.id).sort()).toEqual([b.id, c.id].sort());
    expect(byUser.executions.totalCount).toBe(2);

    // The key's id as Actor.id shows it: its global ID.
    const byKey = await viewer.query(Runs, { filter: { workflowId, startedBy: a.startedBy.id } });
    expect(byKey.executions.edges.map((e) => e.node.id)).toEqual([a.id]);
    expect(byKey.executions.totalCount).toBe(1);

    const none = await viewer.query(Runs, { filter: { externalId: "order-9999" } });
    expect(none.executions).toMatchObject({ totalCount: 0, edges: [] });
  });

  it("reads startedBy with the page and every run's definition in one batch, whatever the page size", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    await app.as(admin.authorization).query(UpdateWorkflow, { input: { id: workflowId, definition: failing("v2") } });
    for (let i = 0; i < 6; i++) await start(user, { workflowId, input: { name: `n${i}` } });
    app.statements.length = 0;
    const { executions } = await viewer.query(Runs, { filter: { workflowId } });
    expect(executions.edges).toHaveLength(6);
    expect(executions.edges.every((e) => e.node.startedBy.id === "ada@acme.example")).toBe(true);
    expect(executions.edges.every((e) => e.node.definition.version >= 1)).toBe(true);
    // The worker runs these meanwhile (its claims read versions too): count the API's reads only.
    const reads = app.statements.filter((sql) => sql.includes('"WorkflowVersion"') && !sql.includes("engine:"));
    expect(reads).toHaveLength(1);
  });

  it("refuses an externalId over 200 characters", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    const res = await user.request(Start, { input: { workflowId, externalId: "x".repeat(201) } });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const { executions } = await viewer.query(Runs, { filter: { workflowId } });
    expect(executions.totalCount).toBe(0);
  });
});

describe("versions", () => {
  it("lists every version newest first, each with who saved it, as nodes", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), ok);
    await app.as(admin.authorization).query(UpdateWorkflow, { input: { id: workflowId, definition: failing("v2") } });
    const adminUser = app.as(bearer(await jwt({ tenant: "dev", role: "admin", sub: "grace" })));
    await adminUser.query(UpdateWorkflow, { input: { id: workflowId, definition: slow } });
    // Not a definition change: no new version.
    await adminUser.query(UpdateWorkflow, { input: { id: workflowId, description: "same steps" } });

    const { workflow } = await viewer.query(Versions, { id: workflowId, first: 2 });
    expect(workflow?.version).toBe(3);
    expect(workflow?.versions.totalCount).toBe(3);
    expect(workflow?.versions.edges.map((e) => [e.node.version, e.node.createdBy])).toEqual([
      [3, { kind: "USER", id: "grace", name: "grace" }],
      [2, { kind: "API_KEY", id: encodeGlobalId("ApiKey", admin.id), name: "deploy-bot" }],
    ]);
    expect(workflow?.versions.edges[0]?.node.definition).toEqual(slow);
    expect(workflow?.versions.edges[0]?.node.workflow.id).toBe(workflowId);
    const rest = await viewer.query(Versions, { id: workflowId, first: 2, after: workflow?.versions.pageInfo.endCursor });
    expect(rest.workflow?.versions.edges.map((e) => e.node.version)).toEqual([1]);
    expect(rest.workflow?.versions.pageInfo.hasNextPage).toBe(false);

    const first = rest.workflow?.versions.edges[0]?.node;
    const { node } = await viewer.query(Node, { id: first?.id as string });
    expect(node).toEqual({ __typename: "WorkflowVersion", version: 1 });
    // Another tenant's version is not there for anyone else.
    const other = await app.app.db.tenant.create({ data: { slug: "versions-other", name: "Other" } });
    const stranger = app.as((await apiKey(app.app.db, other.id, "VIEWER")).authorization);
    expect((await stranger.query(Node, { id: first?.id as string })).node).toBeNull();
  });

  it("retries on the version the run ran, on the latest one if asked, and with edited input", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), failing("v1 fails"));
    const run = await start(user, { workflowId, input: { name: "first" }, externalId: "ticket-7" });
    await waitForStatus(run.id, ["FAILED"]);
    await app.as(admin.authorization).query(UpdateWorkflow, { input: { id: workflowId, definition: ok } });

    const retry = async (input: { useLatestVersion?: boolean; input?: unknown; fromFailedStep?: boolean }) => {
      const { retryExecution } = await user.query(Retry, { input: { id: run.id, ...input } });
      return retryExecution;
    };

    const same = await retry({});
    if (same.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(same));
    const onOld = await waitForStatus(same.execution.id, ["FAILED"]);
    expect(onOld).toMatchObject({
      workflowVersion: 1,
      input: { name: "first" },
      externalId: "ticket-7",
      definition: { version: 1, definition: failing("v1 fails"), workflow: { id: workflowId } },
    });
    expect(onOld.events.edges[0]?.node.data).toMatchObject({ retry: { useLatestVersion: false, inputEdited: false } });

    const latest = await retry({ useLatestVersion: true, input: { name: "edited" } });
    if (latest.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(latest));
    const onLatest = await waitForStatus(latest.execution.id, ["COMPLETED"]);
    expect(onLatest).toMatchObject({ workflowVersion: 2, input: { name: "edited" }, definition: { version: 2 } });
    expect(onLatest.events.edges[0]?.node.data).toMatchObject({ retry: { useLatestVersion: true, inputEdited: true } });

    const edited = await retry({ input: { name: "only input" } });
    if (edited.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(edited));
    const { execution } = await user.query(Run, { id: edited.execution.id });
    expect(execution).toMatchObject({ workflowVersion: 1, input: { name: "only input" } });

    // Edited input is checked like startExecution's (the JSON scalar's limits): refused, nothing started.
    const bad = await user.request(Retry, { input: { id: run.id, input: { name: "nul\u0000" } } });
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");

    // Reusing step outputs only makes sense on the same version and input.
    expect(await retry({ useLatestVersion: true, fromFailedStep: true })).toMatchObject({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
    });
    // The original and its three retries; the refused ones wrote nothing.
    const { executions } = await viewer.query(Runs, { filter: { workflowId } });
    expect(executions.totalCount).toBe(4);
  });

  it("a viewer may not retry; another tenant's run is not found", async () => {
    const workflowId = await createWorkflow(app.as(admin.authorization), failing("x"));
    const run = await start(user, { workflowId });
    await waitForStatus(run.id, ["FAILED"]);
    const { retryExecution } = await viewer.query(Retry, { input: { id: run.id, useLatestVersion: true, input: {} } });
    expect(retryExecution).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    const other = await app.app.db.tenant.create({ data: { slug: "origins-other", name: "Other" } });
    const stranger = app.as((await apiKey(app.app.db, other.id, "OPERATOR")).authorization);
    const { retryExecution: foreign } = await stranger.query(Retry, { input: { id: run.id, useLatestVersion: true } });
    expect(foreign).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
  });
});

describe("dev mode", () => {
  let dev: TestApp;
  beforeAll(async () => {
    dev = await startTestApp({ RUN_WORKER: "false" });
  });
  afterAll(() => dev?.stop());

  it("records the implicit admin as the USER dev, started MANUAL", async () => {
    const as = dev.as(undefined);
    const { createWorkflow } = await as.query(CreateWorkflow, { input: { name: "dev-run", definition: ok } });
    if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
    const run = await start(as, { workflowId: createWorkflow.workflow.id });
    expect(run).toMatchObject({ triggerSource: "MANUAL", startedBy: { kind: "USER", id: "dev", name: "dev" } });
    const { workflow } = await as.query(Versions, { id: createWorkflow.workflow.id });
    expect(workflow?.versions.edges[0]?.node.createdBy).toEqual({ kind: "USER", id: "dev", name: "dev" });
  });
});
