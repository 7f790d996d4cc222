// Bulk operations over a filter: the dry run changes nothing; CANCEL, RETRY and DELETE act on the
// executions the filter matched at the start, through the same paths as the single mutations,
// with progress in bulkOperationUpdated; roles by kind; another tenant's runs are never touched;
// one bulk operation is one mutation for the rate limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";
import { gid } from "../support/executions.ts";
import { createFixture } from "../support/fixture.ts";
import { subscribeOverWs, waitUntil } from "../support/ws-subscriber.ts";

const CreateWorkflow = graphql(`
  mutation BulkCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) { __typename ... on CreateWorkflowSuccess { workflow { id } } ... on Error { message } }
  }
`);

const Start = graphql(`
  mutation BulkStartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) { __typename ... on StartExecutionSuccess { execution { id } } ... on Error { message } }
  }
`);

const Runs = graphql(`
  query BulkRuns($filter: ExecutionFilter) {
    executions(first: 100, filter: $filter) { totalCount edges { node { id status } } }
  }
`);

const StartBulk = graphql(`
  mutation BulkStart($input: StartBulkOperationInput!) {
    startBulkOperation(input: $input) {
      __typename
      ... on BulkOperationPreview { total sample { id status } }
      ... on BulkOperation { id kind status total processed succeeded failed reason filter createdBy { kind id name } }
      ... on Error { code message }
    }
  }
`);

const BulkOperations = graphql(`
  query BulkList($first: Int, $after: String) {
    bulkOperations(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind status total processed succeeded failed completedAt createdBy { kind } } }
    }
  }
`);

const BulkUpdated = graphql(`
  subscription BulkUpdated($id: ID!) {
    bulkOperationUpdated(id: $id) { id status total processed succeeded failed }
  }
`);

const Stats = graphql(`
  query BulkStats($workflowId: ID) {
    executionStats(filter: { workflowId: $workflowId }) { total byStatus { status count } }
  }
`);

type Op = { id: string; status: string; total: number; processed: number; succeeded: number; failed: number };

let app: TestApp;
let tenantId: string;
let otherTenantId: string;
let admin: Requester;
let operator: Requester;
let operatorKeyId: string;
let viewer: Requester;
let otherAdmin: Requester;
let viewerKey: string;
let otherAdminKey: string;
let counter = 0;

beforeAll(async () => {
  // Small chunks, so that an operation over a dozen runs reports progress more than once.
  app = await startTestApp({ ...AUTH_ENV, BULK_OPERATION_CHUNK_SIZE: "4" });
  tenantId = (await app.app.db.tenant.create({ data: { slug: "bulk", name: "Bulk" } })).id;
  otherTenantId = (await app.app.db.tenant.create({ data: { slug: "bulk-other", name: "Other" } })).id;
  admin = app.as((await apiKey(app.app.db, tenantId, "ADMIN", "bulk admin")).authorization);
  const operatorKey = await apiKey(app.app.db, tenantId, "OPERATOR");
  operatorKeyId = operatorKey.id;
  operator = app.as(operatorKey.authorization);
  viewerKey = (await apiKey(app.app.db, tenantId, "VIEWER")).authorization;
  viewer = app.as(viewerKey);
  otherAdminKey = (await apiKey(app.app.db, otherTenantId, "ADMIN")).authorization;
  otherAdmin = app.as(otherAdminKey);
});
afterAll(() => app?.stop());

const SLEEPS = { steps: [{ id: "nap", type: "delay", config: { ms: 600_000 } }] };
const FAILS = { steps: [{ id: "boom", type: "fail", config: { message: "boom" } }] };
const SUCCEEDS = { steps: [{ id: "note", type: "log", config: { message: "done" } }] };
/** Finishes at once with `{ ms: 0 }`, sleeps with a long `ms`. */
const WAITS = { steps: [{ id: "wait", type: "delay", config: { ms: "{{input.ms}}" } }] };

async function workflow(as: Requester, definition: unknown) {
  counter += 1;
  const { createWorkflow } = await as.query(CreateWorkflow, { input: { name: `bulk-${counter}`, definition } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow.id;
}

async function runs(as: Requester, workflowId: string, n: number, input: Record<string, unknown> = {}) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { startExecution } = await as.query(Start, { input: { workflowId, input: { ...input, i } } });
    if (startExecution.__typename !== "StartExecutionSuccess") throw new Error(JSON.stringify(startExecution));
    ids.push(startExecution.execution.id);
  }
  return ids;
}

/** Waits until every run of the workflow has one of `statuses`; returns them by id. */
async function settled(as: Requester, workflowId: string, n: number, statuses: string[]) {
  let latest: { id: string; status: string }[] = [];
  await waitUntil(`${n} runs ${statuses.join("/")}`, async () => {
    const { executions } = await as.query(Runs, { filter: { workflowId } });
    latest = executions.edges.map((e) => e.node);
    return latest.length === n && latest.every((r) => statuses.includes(r.status));
  }, 30_000);
  return latest;
}

async function finished(as: Requester, id: string): Promise<Op> {
  let op: Op | undefined;
  await waitUntil("the bulk operation ends", async () => {
    const { bulkOperations } = await as.query(BulkOperations, { first: 100 });
    op = bulkOperations.edges.map((e) => e.node).find((o) => o.id === id);
    return op?.status === "COMPLETED" || op?.status === "FAILED";
  }, 30_000);
  return op as Op;
}

const rowId = (globalId: string) => Buffer.from(globalId, "base64url").toString().split(":")[1] as string;

async function eventCount(ids: string[], type: string) {
  const rows = await app.app.db.executionEvent.groupBy({
    by: ["executionId"],
    where: { executionId: { in: ids.map(rowId) }, type: type as "EXECUTION_CANCELLED" },
    _count: true,
  });
  return new Map(rows.map((r) => [r.executionId, r._count]));
}

describe("dry run", () => {
  it("answers how many runs would be affected and a sample, and changes nothing", async () => {
    const wf = await workflow(admin, SUCCEEDS);
    const ids = await runs(admin, wf, 3);
    await settled(admin, wf, 3, ["COMPLETED"]);
    const before = await app.app.db.executionEvent.count();
    const { startBulkOperation } = await admin.query(StartBulk, {
      input: { kind: "DELETE", filter: { workflowId: wf }, dryRun: true },
    });
    expect(startBulkOperation).toMatchObject({ __typename: "BulkOperationPreview", total: 3 });
    if (startBulkOperation.__typename !== "BulkOperationPreview") throw new Error("not a preview");
    expect(startBulkOperation.sample.map((e) => e.id).sort()).toEqual([...ids].sort());
    // A CANCEL of the same runs targets none of them: they have finished.
    const { startBulkOperation: cancel } = await admin.query(StartBulk, {
      input: { kind: "CANCEL", filter: { workflowId: wf }, dryRun: true },
    });
    expect(cancel).toMatchObject({ __typename: "BulkOperationPreview", total: 0, sample: [] });
    expect(await app.app.db.bulkOperation.count()).toBe(0);
    expect(await app.app.db.executionEvent.count()).toBe(before);
    await settled(admin, wf, 3, ["COMPLETED"]);
  });
});

describe("CANCEL", () => {
  it("cancels every open run the filter matches, through cancelExecution, with live progress", async () => {
    const wf = await workflow(admin, SLEEPS);
    const ids = await runs(admin, wf, 10);
    await settled(admin, wf, 10, ["RUNNING"]);
    // The other tenant's sleeping runs match the same filter in every respect but the tenant.
    const otherWf = await workflow(otherAdmin, SLEEPS);
    await runs(otherAdmin, otherWf, 2);
    await settled(otherAdmin, otherWf, 2, ["RUNNING"]);

    const { startBulkOperation: op } = await operator.query(StartBulk, {
      input: { kind: "CANCEL", filter: { workflowId: wf, status: ["RUNNING"] }, reason: "incident 42" },
    });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    // The key as Actor shows it everywhere: its global ApiKey ID (the one `apiKeys` lists) and its name.
    expect(op).toMatchObject({
      kind: "CANCEL",
      total: 10,
      reason: "incident 42",
      createdBy: { kind: "API_KEY", id: gid("ApiKey", operatorKeyId), name: "operator key" },
    });
    expect(op.filter).toMatchObject({ workflowId: wf, status: ["RUNNING"] });
    // Started after the operation: it matches the filter, but the targets were fixed at the start.
    const [late] = await runs(admin, wf, 1);

    const updates = subscribeOverWs(app.url, BulkUpdated, { id: op.id }, viewerKey);
    try {
      await waitUntil("the subscription completes", () => updates.completed, 30_000);
    } finally {
      await updates.stop();
    }
    expect(updates.errors).toEqual([]);
    const seen = updates.data.map((d) => d.bulkOperationUpdated);
    expect(seen.at(-1)).toMatchObject({ status: "COMPLETED", total: 10, processed: 10, succeeded: 10, failed: 0 });
    // Progress only grows, and arrived in more than one step (chunks of 4).
    const processed = seen.map((s) => s.processed);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(new Set(processed).size).toBeGreaterThan(1);

    const after = await settled(admin, wf, 11, ["CANCELLED", "RUNNING", "PENDING"]);
    expect(after.filter((r) => r.status === "CANCELLED").map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(after.find((r) => r.id === late)?.status).not.toBe("CANCELLED");
    const cancelled = await eventCount(ids, "EXECUTION_CANCELLED");
    expect([...cancelled.values()]).toEqual(Array(10).fill(1));
    const rows = await app.app.db.execution.findMany({ where: { id: { in: ids.map(rowId) } } });
    expect(new Set(rows.map((r) => r.cancelReason))).toEqual(new Set(["incident 42"]));
    // Each cancel is recorded as the operator key's, as a single cancelExecution with it would be.
    const cancelledBy = rows.map((r) => ({ id: r.cancelledBy, kind: r.cancelledByKind, name: r.cancelledByName }));
    expect(cancelledBy).toEqual(Array(10).fill({ id: operatorKeyId, kind: "API_KEY", name: "operator key" }));
    // Untouched: the other tenant's runs sleep on.
    await settled(otherAdmin, otherWf, 2, ["RUNNING"]);
  });

  it("lists operations newest first, and a subscription to a finished one completes at once", async () => {
    const { bulkOperations } = await admin.query(BulkOperations, { first: 1 });
    expect(bulkOperations.totalCount).toBeGreaterThanOrEqual(1);
    const newest = bulkOperations.edges[0]?.node;
    expect(newest).toMatchObject({ kind: "CANCEL", status: "COMPLETED", createdBy: { kind: "API_KEY" } });
    expect(newest?.completedAt).toBeTruthy();
    const again = subscribeOverWs(app.url, BulkUpdated, { id: newest?.id as string }, viewerKey);
    try {
      await waitUntil("completes", () => again.completed);
    } finally {
      await again.stop();
    }
    expect(again.data.map((d) => d.bulkOperationUpdated.status)).toEqual(["COMPLETED"]);
    // The other tenant sees none of it.
    const { bulkOperations: foreign } = await otherAdmin.query(BulkOperations, { first: 10 });
    expect(foreign.totalCount).toBe(0);
  });
});

describe("RETRY", () => {
  it("retries each failed run once, as retryExecution does", async () => {
    const wf = await workflow(admin, FAILS);
    const ids = await runs(admin, wf, 6);
    await settled(admin, wf, 6, ["FAILED"]);
    const { startBulkOperation: op } = await operator.query(StartBulk, {
      input: { kind: "RETRY", filter: { workflowId: wf } },
    });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    expect(op.total).toBe(6);
    expect(await finished(admin, op.id)).toMatchObject({ status: "COMPLETED", processed: 6, succeeded: 6, failed: 0 });
    const retries = await app.app.db.execution.groupBy({
      by: ["retryOfId"],
      where: { retryOfId: { in: ids.map(rowId) } },
      _count: true,
    });
    expect(retries.map((r) => r._count)).toEqual(Array(6).fill(1));
    // Started by whoever started the operation, as a single retryExecution with the same key would be.
    const started = await app.app.db.execution.findMany({ where: { retryOfId: { in: ids.map(rowId) } } });
    expect(started.map((r) => ({ id: r.startedById, kind: r.startedByKind, name: r.startedByName }))).toEqual(
      Array(6).fill({ id: operatorKeyId, kind: "API_KEY", name: "operator key" }),
    );
    // The retries ran (and failed again, as their step always does): 12 runs in all.
    await settled(admin, wf, 12, ["FAILED"]);
  });
});

describe("DELETE", () => {
  it("deletes finished runs with their steps, events and logs, and the statistics forget them", async () => {
    const wf = await workflow(admin, WAITS);
    const ids = await runs(admin, wf, 5, { ms: 0 });
    await settled(admin, wf, 5, ["COMPLETED"]);
    const sleeper = await runs(admin, wf, 1, { ms: 600_000 });
    await waitUntil("the sleeper sleeps", async () => {
      const { executions } = await admin.query(Runs, { filter: { workflowId: wf, status: ["RUNNING"] } });
      return executions.totalCount === 1;
    });
    expect((await admin.query(Stats, { workflowId: wf })).executionStats.total).toBe(6);

    const { startBulkOperation: op } = await admin.query(StartBulk, { input: { kind: "DELETE", filter: { workflowId: wf } } });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    expect(await finished(admin, op.id)).toMatchObject({ status: "COMPLETED", total: 5, succeeded: 5 });
    const gone = ids.map(rowId);
    expect(await app.app.db.execution.count({ where: { id: { in: gone } } })).toBe(0);
    expect(await app.app.db.step.count({ where: { executionId: { in: gone } } })).toBe(0);
    expect(await app.app.db.batch.count({ where: { executionId: { in: gone } } })).toBe(0);
    expect(await app.app.db.executionEvent.count({ where: { executionId: { in: gone } } })).toBe(0);
    expect(await app.app.db.logEntry.count({ where: { executionId: { in: gone } } })).toBe(0);
    // Counted out of the rollups in the same statement: totals and totalCount agree with the rows.
    const { executions } = await admin.query(Runs, { filter: { workflowId: wf } });
    expect(executions.totalCount).toBe(1);
    expect(executions.edges.map((e) => e.node.id)).toEqual(sleeper);
    expect((await admin.query(Stats, { workflowId: wf })).executionStats.total).toBe(1);
  });
});

describe("roles and tenants", () => {
  it("needs operator for CANCEL and RETRY and admin for DELETE, dry runs included", async () => {
    const wf = gid("Workflow", "00000000-0000-4000-8000-000000000000");
    const refused = async (as: Requester, kind: "CANCEL" | "RETRY" | "DELETE", dryRun: boolean) =>
      (await as.query(StartBulk, { input: { kind, filter: { workflowId: wf }, dryRun } })).startBulkOperation;
    for (const dryRun of [false, true]) {
      for (const kind of ["CANCEL", "RETRY", "DELETE"] as const) {
        expect(await refused(viewer, kind, dryRun)).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
      }
      expect(await refused(operator, "DELETE", dryRun)).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    }
    // Nothing was recorded for the refusals.
    expect(await app.app.db.bulkOperation.count({ where: { filter: { equals: { workflowId: wf } } } })).toBe(0);
  });

  it("refuses a reason over 1,000 characters or with a NUL byte before anything is written", async () => {
    const wf = gid("Workflow", "00000000-0000-4000-8000-000000000000");
    for (const reason of ["x".repeat(1001), "a\u0000b"]) {
      const result = await admin.request(StartBulk, { input: { kind: "CANCEL", filter: { workflowId: wf }, reason } });
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect(await app.app.db.bulkOperation.count({ where: { filter: { equals: { workflowId: wf } } } })).toBe(0);
  });

  it("never touches another tenant's runs, even by their workflow's ID", async () => {
    const otherWf = await workflow(otherAdmin, SUCCEEDS);
    await runs(otherAdmin, otherWf, 2);
    await settled(otherAdmin, otherWf, 2, ["COMPLETED"]);
    const { startBulkOperation: preview } = await admin.query(StartBulk, {
      input: { kind: "DELETE", filter: { workflowId: otherWf }, dryRun: true },
    });
    expect(preview).toMatchObject({ __typename: "BulkOperationPreview", total: 0, sample: [] });
    const { startBulkOperation: op } = await admin.query(StartBulk, { input: { kind: "DELETE", filter: { workflowId: otherWf } } });
    expect(op).toMatchObject({ __typename: "BulkOperation", status: "COMPLETED", total: 0 });
    await settled(otherAdmin, otherWf, 2, ["COMPLETED"]);
  });

  it("refuses a subscription to another tenant's operation like a missing one", async () => {
    const { bulkOperations } = await admin.query(BulkOperations, { first: 1 });
    const id = bulkOperations.edges[0]?.node.id as string;
    const foreign = subscribeOverWs(app.url, BulkUpdated, { id }, otherAdminKey);
    try {
      await waitUntil("refused", () => foreign.completed);
    } finally {
      await foreign.stop();
    }
    expect(foreign.data).toEqual([]);
    expect(JSON.stringify(foreign.errors)).toContain("NOT_FOUND");
  });
});

describe("rate limits", () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false", RATE_LIMIT_MUTATIONS: "2" });
  });
  afterAll(() => limited?.stop());

  it("count a bulk operation as one mutation, however many runs it targets", async () => {
    const f = await createFixture(limited.app.db);
    const as = limited.as((await apiKey(limited.app.db, f.tenantId, "ADMIN")).authorization);
    const { startBulkOperation: op } = await as.query(StartBulk, { input: { kind: "DELETE", filter: {} } });
    if (op.__typename !== "BulkOperation") throw new Error(JSON.stringify(op));
    expect(op.total).toBeGreaterThan(3);
    const { startBulkOperation: preview } = await as.query(StartBulk, { input: { kind: "CANCEL", filter: {}, dryRun: true } });
    expect(preview).toMatchObject({ __typename: "BulkOperationPreview" });
    const third = await as.request(StartBulk, { input: { kind: "CANCEL", filter: {}, dryRun: true } });
    expect(third.status).toBe(429);
    expect(third.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });
});
