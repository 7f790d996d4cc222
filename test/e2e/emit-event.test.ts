// emitEvent: fan-out to every active workflow listening to the event whose trigger conditions
// pass, skips with reasons, idempotency (also under concurrent calls), roles and tenancy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";

const CreateWorkflow = graphql(`
  mutation EmitCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id triggerEvent } }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

const Emit = graphql(`
  mutation Emit($input: EmitEventInput!) {
    emitEvent(input: $input) {
      __typename
      ... on EmitEventSuccess {
        started { id status triggerSource triggerEvent externalId input workflow { name } startedBy { kind name } }
        skipped { workflow { name } reason }
      }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

const Runs = graphql(`
  query EmitRuns($filter: ExecutionFilter) {
    executions(first: 100, filter: $filter) { totalCount edges { node { id status workflow { name triggerEvent } } } }
  }
`);

let app: TestApp;
let admin: Requester;
let operator: Requester;
let viewer: Requester;
let stranger: Requester;

const listening = (event: string, conditions?: unknown) => ({
  trigger: { event, ...(conditions ? { conditions } : {}) },
  steps: [{ id: "note", type: "log", config: { message: "got {{input.id}}" } }],
});

async function create(name: string, definition: unknown, isActive = true) {
  const { createWorkflow } = await admin.query(CreateWorkflow, { input: { name, definition, isActive } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow;
}

async function emit(as: Requester, input: { name: string; data?: unknown; idempotencyKey?: string; externalId?: string }) {
  const { emitEvent } = await as.query(Emit, { input });
  return emitEvent;
}

beforeAll(async () => {
  app = await startTestApp(AUTH_ENV);
  const tenant = await ensureDevTenant(app.app.db);
  admin = app.as((await apiKey(app.app.db, tenant.id, "ADMIN")).authorization);
  operator = app.as((await apiKey(app.app.db, tenant.id, "OPERATOR", "forms-service")).authorization);
  viewer = app.as((await apiKey(app.app.db, tenant.id, "VIEWER")).authorization);
  const other = await app.app.db.tenant.create({ data: { slug: "emit-other", name: "Other" } });
  stranger = app.as((await apiKey(app.app.db, other.id, "ADMIN")).authorization);

  const big = { logic: "AND", rules: [{ field: "total", operator: ">=", value: 100 }] };
  const german = { logic: "OR", rules: [{ field: "country", operator: "in", value: ["DE", "AT"] }] };
  expect((await create("notify", listening("submission_completed"))).triggerEvent).toBe("submission_completed");
  await create("big-orders", listening("submission_completed", big));
  await create("dach", listening("submission_completed", german));
  await create("paused", listening("submission_completed"), false);
  await create("elsewhere", listening("invoice_paid"));
  await create("no-trigger", { steps: [{ id: "a", type: "log", config: { message: "x" } }] });
});
afterAll(() => app?.stop());

describe("emitEvent", () => {
  it("starts every active listener whose conditions pass and says why the others did not", async () => {
    const result = await emit(operator, {
      name: "submission_completed",
      data: { id: "s-1", total: 250, country: "FR" },
      externalId: "form-42",
    });
    if (result.__typename !== "EmitEventSuccess") throw new Error(JSON.stringify(result));
    expect(result.started.map((e) => e.workflow.name).sort()).toEqual(["big-orders", "notify"]);
    for (const run of result.started) {
      expect(run).toMatchObject({
        triggerSource: "EVENT",
        triggerEvent: "submission_completed",
        externalId: "form-42",
        input: { id: "s-1", total: 250, country: "FR" },
        startedBy: { kind: "API_KEY", name: "forms-service" },
      });
    }
    expect(result.skipped).toEqual([
      {
        workflow: { name: "dach" },
        reason: 'trigger conditions did not pass: country in ["DE","AT"] (got "FR")',
      },
      { workflow: { name: "paused" }, reason: "the workflow is inactive" },
    ]);
    // They run like any other start.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { executions } = await viewer.query(Runs, { filter: { externalId: "form-42", status: ["COMPLETED"] } });
      // The count and the page are read by separate statements: a run may complete between them.
      if (executions.totalCount === 2 && executions.edges.length === 2) {
        // The dashboard statement preloads the workflow's columns, triggerEvent included.
        expect(executions.edges.map((e) => e.node.workflow.triggerEvent)).toEqual(["submission_completed", "submission_completed"]);
        break;
      }
      if (Date.now() > deadline) throw new Error("the event's runs did not complete");
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  it("names the failing rule, missing fields included", async () => {
    const result = await emit(operator, { name: "submission_completed", data: { id: "s-2", country: "DE" } });
    if (result.__typename !== "EmitEventSuccess") throw new Error(JSON.stringify(result));
    expect(result.started.map((e) => e.workflow.name).sort()).toEqual(["dach", "notify"]);
    expect(result.skipped.map((s) => [s.workflow.name, s.reason])).toEqual([
      ["big-orders", "trigger conditions did not pass: total greater_than_or_equal 100 (missing)"],
      ["paused", "the workflow is inactive"],
    ]);
  });

  it("is a success with two empty lists when nothing listens", async () => {
    expect(await emit(operator, { name: "nobody_cares", data: { a: 1 } })).toEqual({
      __typename: "EmitEventSuccess",
      started: [],
      skipped: [],
    });
  });

  it("returns the same executions for the same idempotency key, also under concurrent calls", async () => {
    const input = { name: "invoice_paid", data: { id: "inv-1" }, idempotencyKey: "inv-1-paid" };
    const results = await Promise.all(Array.from({ length: 8 }, () => emit(operator, input)));
    const ids = results.map((r) => (r.__typename === "EmitEventSuccess" ? r.started.map((e) => e.id) : r));
    expect(ids[0]).toHaveLength(1);
    for (const other of ids) expect(other).toEqual(ids[0]);
    const again = await emit(operator, input);
    expect(again.__typename === "EmitEventSuccess" && again.started.map((e) => e.id)).toEqual(ids[0]);
    const { executions } = await viewer.query(Runs, { filter: { triggerSource: ["EVENT"], search: "elsewhere" } });
    expect(executions.totalCount).toBe(1);
  });

  it("replays skips too, and a key is per tenant", async () => {
    const input = { name: "submission_completed", data: { id: "s-3", total: 1 }, idempotencyKey: "s-3" };
    const first = await emit(operator, input);
    const second = await emit(operator, input);
    if (first.__typename !== "EmitEventSuccess" || second.__typename !== "EmitEventSuccess") {
      throw new Error(JSON.stringify([first, second]));
    }
    // The same runs (their status may have moved on meanwhile) and the same skips.
    expect(second.started.map((e) => e.id)).toEqual(first.started.map((e) => e.id));
    expect(second.skipped).toEqual(first.skipped);
    expect(first.skipped.map((s) => s.workflow.name)).toEqual(["big-orders", "dach", "paused"]);
    // Another tenant's key space is its own, and it sees none of these workflows.
    expect(await emit(stranger, input)).toEqual({ __typename: "EmitEventSuccess", started: [], skipped: [] });
  });

  it("refuses a malformed name with a field path and writes nothing", async () => {
    const before = (await viewer.query(Runs, {})).executions.totalCount;
    expect(await emit(operator, { name: "not a name!", data: {} })).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["name"] }],
    });
    expect((await viewer.query(Runs, {})).executions.totalCount).toBe(before);
  });

  it("is FORBIDDEN for a viewer, and starts nothing", async () => {
    const before = (await viewer.query(Runs, {})).executions.totalCount;
    expect(await emit(viewer, { name: "submission_completed", data: { total: 500 } })).toMatchObject({
      __typename: "ForbiddenError",
      code: "FORBIDDEN",
    });
    expect((await viewer.query(Runs, {})).executions.totalCount).toBe(before);
  });

  it("rejects an invalid trigger.event when the workflow is saved", async () => {
    const { createWorkflow } = await admin.query(CreateWorkflow, {
      input: { name: "bad-event", definition: listening("has spaces") },
    });
    expect(createWorkflow).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["definition", "trigger", "event"] }],
    });
  });
});
