// cancelBulkOperation: an operation stopped between two chunks does no more — neither a CANCEL
// (through the marks in each action's transaction) nor a DELETE (its chunk statement) — keeps what
// it did, ends its subscription as CANCELLED, and is never queued again. Refusals are typed and
// write nothing: a finished operation, a viewer, another tenant, an unknown ID.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";
import { gid } from "../support/executions.ts";
import { subscribeOverWs, waitUntil } from "../support/ws-subscriber.ts";

const CreateWorkflow = graphql(`
  mutation BulkCancelCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) { __typename ... on CreateWorkflowSuccess { workflow { id } } ... on Error { message } }
  }
`);

const Start = graphql(`
  mutation BulkCancelStartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) { __typename ... on StartExecutionSuccess { execution { id } } ... on Error { message } }
  }
`);

const Runs = graphql(`
  query BulkCancelRuns($filter: ExecutionFilter) {
    executions(first: 100, filter: $filter) { totalCount edges { node { id status } } }
  }
`);

const StartBulk = graphql(`
  mutation BulkCancelStartBulk($input: StartBulkOperationInput!) {
    startBulkOperation(input: $input) {
      __typename
      ... on BulkOperation { id status total processed }
      ... on Error { code message }
    }
  }
`);

const CancelBulk = graphql(`
  mutation CancelBulk($input: CancelBulkOperationInput!) {
    cancelBulkOperation(input: $input) {
      __typename
      ... on CancelBulkOperationSuccess { bulkOperation { id status total processed succeeded error completedAt } }
      ... on Error { code message }
    }
  }
`);

const Operation = graphql(`
  query BulkCancelOperation($id: ID!) {
    node(id: $id) { ... on BulkOperation { id status processed succeeded failed } }
  }
`);

const BulkUpdated = graphql(`
  subscription BulkCancelUpdated($id: ID!) {
    bulkOperationUpdated(id: $id) { status processed }
  }
`);

// A chunk of 2, then a pause long enough to cancel in: the operation is caught between chunks.
const PAUSE_MS = 2_000;
const SLEEPS = { steps: [{ id: "nap", type: "delay", config: { ms: 600_000 } }] };
const DONE = { steps: [{ id: "note", type: "log", config: { message: "done" } }] };

let app: TestApp;
let admin: Requester;
let operator: Requester;
let viewer: Requester;
let viewerKey: string;
let otherAdmin: Requester;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, BULK_OPERATION_CHUNK_SIZE: "2", BULK_OPERATION_PAUSE_MS: String(PAUSE_MS) });
  const tenant = await app.app.db.tenant.create({ data: { slug: "bulk-cancel", name: "Bulk cancel" } });
  const other = await app.app.db.tenant.create({ data: { slug: "bulk-cancel-other", name: "Other" } });
  admin = app.as((await apiKey(app.app.db, tenant.id, "ADMIN", "bulk admin")).authorization);
  operator = app.as((await apiKey(app.app.db, tenant.id, "OPERATOR", "on-call")).authorization);
  viewerKey = (await apiKey(app.app.db, tenant.id, "VIEWER")).authorization;
  viewer = app.as(viewerKey);
  otherAdmin = app.as((await apiKey(app.app.db, other.id, "ADMIN")).authorization);
});
afterAll(() => app?.stop());

async function runsOf(definition: unknown, n: number, status: string) {
  counter += 1;
  const { createWorkflow } = await admin.query(CreateWorkflow, { input: { name: `bulk-cancel-${counter}`, definition } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  const workflowId = createWorkflow.workflow.id;
  for (let i = 0; i < n; i++) {
    const { startExecution } = await admin.query(Start, { input: { workflowId, input: { i } } });
    if (startExecution.__typename !== "StartExecutionSuccess") throw new Error(JSON.stringify(startExecution));
  }
  await waitUntil(`${n} runs ${status}`, async () => {
    const { executions } = await admin.query(Runs, { filter: { workflowId, status: [status as "RUNNING"] } });
    return executions.totalCount === n;
  }, 30_000);
  return workflowId;
}

async function operation(id: string) {
  const { node } = await admin.query(Operation, { id });
  if (!node || !("status" in node)) throw new Error(`no bulk operation ${id}`);
  return node;
}

/** Starts the operation and waits until its first chunk is done (the worker then pauses before the next). */
async function startedAndPaused(input: { kind: "CANCEL" | "DELETE"; filter: { workflowId: string } }) {
  const { startBulkOperation: op } = await admin.query(StartBulk, { input });
  if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
  await waitUntil("the first chunk", async () => (await operation(op.id)).processed >= 2, 15_000);
  return op.id;
}

describe("cancelBulkOperation", () => {
  it("stops a CANCEL between two chunks: the runs it had not reached go on, and it is never taken up again", async () => {
    const workflowId = await runsOf(SLEEPS, 6, "RUNNING");
    const id = await startedAndPaused({ kind: "CANCEL", filter: { workflowId } });
    const { cancelBulkOperation } = await operator.query(CancelBulk, { input: { id, reason: "wrong filter" } });
    if (cancelBulkOperation.__typename !== "CancelBulkOperationSuccess") throw new Error(JSON.stringify(cancelBulkOperation));
    const done = cancelBulkOperation.bulkOperation.processed;
    expect(done).toBeLessThan(6);
    expect(cancelBulkOperation.bulkOperation).toMatchObject({
      id,
      status: "CANCELLED",
      total: 6,
      succeeded: done,
      error: "Cancelled by on-call: wrong filter",
    });
    // Past the worker's pause (and a sweep): nothing more was done.
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS + 2_500));
    expect(await operation(id)).toMatchObject({ status: "CANCELLED", processed: done, succeeded: done, failed: 0 });
    const { executions } = await admin.query(Runs, { filter: { workflowId } });
    const statuses = executions.edges.map((e) => e.node.status);
    expect(statuses.filter((status) => status === "CANCELLED")).toHaveLength(done);
    expect(statuses.filter((status) => status === "RUNNING")).toHaveLength(6 - done);
    expect(await app.app.db.bulkOperationTarget.count({ where: { operationId: rowOf(id), outcome: null } })).toBe(6 - done);
  });

  it("stops a DELETE between two chunks, and its subscription ends with CANCELLED", async () => {
    const workflowId = await runsOf(DONE, 6, "COMPLETED");
    const id = await startedAndPaused({ kind: "DELETE", filter: { workflowId } });
    const { cancelBulkOperation } = await admin.query(CancelBulk, { input: { id } });
    if (cancelBulkOperation.__typename !== "CancelBulkOperationSuccess") throw new Error(JSON.stringify(cancelBulkOperation));
    const done = cancelBulkOperation.bulkOperation.processed;
    expect(done).toBeLessThan(6);
    expect(cancelBulkOperation.bulkOperation).toMatchObject({ status: "CANCELLED", error: "Cancelled by bulk admin" });
    const updates = subscribeOverWs(app.url, BulkUpdated, { id }, viewerKey);
    try {
      await waitUntil("the subscription completes", () => updates.completed, 10_000);
    } finally {
      await updates.stop();
    }
    expect(updates.errors).toEqual([]);
    expect(updates.data.map((d) => d.bulkOperationUpdated)).toEqual([{ status: "CANCELLED", processed: done }]);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS + 1_000));
    expect(await operation(id)).toMatchObject({ status: "CANCELLED", processed: done });
    expect((await admin.query(Runs, { filter: { workflowId } })).executions.totalCount).toBe(6 - done);
  });

  it("refuses a finished operation, a viewer, another tenant's operation and an unknown ID, changing nothing", async () => {
    const workflowId = await runsOf(DONE, 1, "COMPLETED");
    const { startBulkOperation: op } = await admin.query(StartBulk, { input: { kind: "RETRY", filter: { workflowId } } });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    // Nothing to retry: finished at once.
    expect(op.status).toBe("COMPLETED");
    const cancel = async (as: Requester, id: string) => (await as.query(CancelBulk, { input: { id } })).cancelBulkOperation;
    expect(await cancel(operator, op.id)).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    expect(await cancel(otherAdmin, op.id)).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect(await cancel(admin, gid("BulkOperation", "00000000-0000-4000-8000-000000000000"))).toMatchObject({
      __typename: "NotFoundError",
    });
    const malformed = await admin.request(CancelBulk, { input: { id: gid("BulkOperation", "not-a-uuid") } });
    expect(malformed.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    const denied = await viewer.request(CancelBulk, { input: { id: op.id } });
    expect(JSON.stringify(denied)).toContain("FORBIDDEN");
    expect(await operation(op.id)).toMatchObject({ status: "COMPLETED" });
  });
});

const rowOf = (globalId: string) => Buffer.from(globalId, "base64url").toString().split(":")[1] as string;
