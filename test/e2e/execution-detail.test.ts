// One execution in depth: its workflow, progress, running steps, and the nested connections
// (batches, steps, events, retries, Batch.steps; logs are in execution-logs.test.ts) with ordering,
// filters, pagination and totalCount. Values come from the fixture's e1 (3 batches, 4 steps,
// 5 events, 4 logs), e2 (failed, retried by e8) and a few steps this file adds to e4.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import type { StepFilter } from "../generated/graphql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
let e4Running: string;
beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
  // e4 is RUNNING but has no steps in the fixture: give it one done, one running, one waiting.
  const db = app.app.db;
  const executionId = f.executions.e4 as string;
  const base = { tenantId: f.tenantId, executionId };
  const batch = await db.batch.create({ data: { ...base, index: 0, status: "RUNNING" } });
  const steps = await Promise.all(
    (["COMPLETED", "RUNNING", "PENDING"] as const).map((status, index) =>
      db.step.create({
        data: { ...base, batchId: batch.id, key: `s${index}`, name: `s${index}`, type: "log", index, status },
      }),
    ),
  );
  e4Running = (steps[1] as { id: string }).id;
});
afterAll(() => app.stop());

const exec = (key: string) => encodeGlobalId("Execution", f.executions[key] as string);
const stepId = (key: string) => encodeGlobalId("Step", f.e1.steps[key] as string);

const Overview = graphql(`
  query DetailTestOverview($id: ID!) {
    execution(id: $id) {
      id
      workflow { id name }
      workflowVersion
      attempt
      progress { totalSteps completedSteps skippedSteps failedSteps percent }
      currentSteps { id key status }
      error { message code stepId }
      retryOf { id status }
      retries { totalCount edges { node { id attempt triggerSource } } }
    }
  }
`);

describe("execution fields", () => {
  it("shows e1's workflow, version and progress (notify was skipped, so 4 of 4 are terminal)", async () => {
    const { execution } = await app.query(Overview, { id: exec("e1") });
    expect(execution).toEqual({
      id: exec("e1"),
      workflow: { id: encodeGlobalId("Workflow", f.workflows.alpha), name: "alpha" },
      workflowVersion: 2,
      attempt: 1,
      progress: { totalSteps: 4, completedSteps: 3, skippedSteps: 1, failedSteps: 0, percent: 100 },
      currentSteps: [],
      error: null,
      retryOf: null,
      retries: { totalCount: 0, edges: [] },
    });
  });

  it("lists only RUNNING steps as current, and counts progress of a run midway", async () => {
    const { execution } = await app.query(Overview, { id: exec("e4") });
    expect(execution?.currentSteps).toEqual([{ id: encodeGlobalId("Step", e4Running), key: "s1", status: "RUNNING" }]);
    // 1 of 3 steps terminal: 33.33 (rounded to two decimals).
    expect(execution?.progress).toEqual({
      totalSteps: 3,
      completedSteps: 1,
      skippedSteps: 0,
      failedSteps: 0,
      percent: 33.33,
    });
  });

  it("has zero progress for a run without steps", async () => {
    const { execution } = await app.query(Overview, { id: exec("e5") });
    expect(execution?.progress).toEqual({
      totalSteps: 0,
      completedSteps: 0,
      skippedSteps: 0,
      failedSteps: 0,
      percent: 0,
    });
  });

  it("links a retry and the run it retries both ways (e8 retries e2)", async () => {
    const e2 = (await app.query(Overview, { id: exec("e2") })).execution;
    expect(e2?.error).toEqual({ message: "Gateway timeout from payments", code: "STEP_FAILED", stepId: null });
    expect(e2?.retries).toEqual({
      totalCount: 1,
      edges: [{ node: { id: exec("e8"), attempt: 2, triggerSource: "RETRY" } }],
    });
    const e8 = (await app.query(Overview, { id: exec("e8") })).execution;
    expect(e8?.retryOf).toEqual({ id: exec("e2"), status: "FAILED" });
    expect(e8?.attempt).toBe(2);
  });

  it("gives a timed-out run its error", async () => {
    const { execution } = await app.query(Overview, { id: exec("e7") });
    expect(execution?.error).toEqual({ message: "Run exceeded timeoutMs", code: "STEP_FAILED", stepId: null });
  });
});

const Batches = graphql(`
  query DetailTestBatches($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    execution(id: $id) {
      batches(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { index status durationMs steps { totalCount edges { node { key } } } } }
      }
    }
  }
`);

describe("batches", () => {
  it("lists e1's batches by index with their steps", async () => {
    const { execution } = await app.query(Batches, { id: exec("e1") });
    expect(execution?.batches.totalCount).toBe(3);
    expect(execution?.batches.edges.map((e) => e.node)).toEqual([
      {
        index: 0,
        status: "COMPLETED",
        durationMs: 1000,
        steps: { totalCount: 1, edges: [{ node: { key: "fetch" } }] },
      },
      {
        index: 1,
        status: "COMPLETED",
        durationMs: 3000,
        steps: { totalCount: 2, edges: [{ node: { key: "transform" } }, { node: { key: "notify" } }] },
      },
      {
        index: 2,
        status: "COMPLETED",
        durationMs: 1000,
        steps: { totalCount: 1, edges: [{ node: { key: "archive" } }] },
      },
    ]);
  });

  it("pages forwards and backwards", async () => {
    const indexes = (r: Awaited<ReturnType<typeof batches>>) => r.execution?.batches.edges.map((e) => e.node.index);
    const batches = (v: { first?: number; after?: string | null; last?: number; before?: string | null }) =>
      app.query(Batches, { id: exec("e1"), ...v });
    const page1 = await batches({ first: 2 });
    expect(indexes(page1)).toEqual([0, 1]);
    expect(page1.execution?.batches.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await batches({ first: 2, after: page1.execution?.batches.pageInfo.endCursor });
    expect(indexes(page2)).toEqual([2]);
    expect(page2.execution?.batches.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(page2.execution?.batches.totalCount).toBe(3);
    const tail = await batches({ last: 1 });
    expect(indexes(tail)).toEqual([2]);
    expect(tail.execution?.batches.pageInfo.hasPreviousPage).toBe(true);
    const beforeTail = await batches({ last: 5, before: tail.execution?.batches.pageInfo.startCursor });
    expect(indexes(beforeTail)).toEqual([0, 1]);
  });
});

const Steps = graphql(`
  query DetailTestSteps($id: ID!, $filter: StepFilter, $first: Int, $after: String, $last: Int, $before: String) {
    execution(id: $id) {
      steps(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { id key index status type batch { index } execution { id } } }
      }
    }
  }
`);

describe("steps", () => {
  const keys = (r: { execution?: { steps: { edges: { node: { key: string } }[] } } | null }) =>
    r.execution?.steps.edges.map((e) => e.node.key);

  it("lists e1's steps in definition order with their batch", async () => {
    const { execution } = await app.query(Steps, { id: exec("e1") });
    expect(execution?.steps.totalCount).toBe(4);
    expect(execution?.steps.edges.map((e) => e.node)).toEqual(
      [
        ["fetch", 0, "COMPLETED", "http", 0],
        ["transform", 1, "COMPLETED", "transform", 1],
        ["notify", 2, "SKIPPED", "log", 1],
        ["archive", 3, "COMPLETED", "delay", 2],
      ].map(([key, index, status, type, batch]) => ({
        id: stepId(key as string),
        key,
        index,
        status,
        type,
        batch: { index: batch },
        execution: { id: exec("e1") },
      })),
    );
  });

  it.each<[StepFilter, string[]]>([
    [{ status: ["COMPLETED"] }, ["fetch", "transform", "archive"]],
    [{ status: ["SKIPPED", "FAILED"] }, ["notify"]],
    [{ status: ["RUNNING"] }, []],
    [{ type: "http" }, ["fetch"]],
    [{ key: "archive" }, ["archive"]],
    [{ batchIndex: 1 }, ["transform", "notify"]],
    [{ batchIndex: 1, status: ["COMPLETED"] }, ["transform"]], // all conditions hold
    [{ batchIndex: 7 }, []],
  ])("filters by %j, and totalCount follows the filter", async (filter, expected) => {
    const result = await app.query(Steps, { id: exec("e1"), filter });
    expect(keys(result)).toEqual(expected);
    expect(result.execution?.steps.totalCount).toBe(expected.length);
  });

  it("pages forwards and backwards in definition order, within a filter", async () => {
    const page1 = await app.query(Steps, { id: exec("e1"), first: 2 });
    expect(keys(page1)).toEqual(["fetch", "transform"]);
    expect(page1.execution?.steps.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.query(Steps, {
      id: exec("e1"),
      first: 2,
      after: page1.execution?.steps.pageInfo.endCursor,
    });
    expect(keys(page2)).toEqual(["notify", "archive"]);
    expect(page2.execution?.steps.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const last = await app.query(Steps, { id: exec("e1"), last: 2 });
    expect(keys(last)).toEqual(["notify", "archive"]);
    const before = await app.query(Steps, {
      id: exec("e1"),
      last: 1,
      before: last.execution?.steps.pageInfo.startCursor,
    });
    expect(keys(before)).toEqual(["transform"]);
    expect(before.execution?.steps.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });

    const completed = { status: ["COMPLETED" as const] };
    const filtered1 = await app.query(Steps, { id: exec("e1"), filter: completed, first: 2 });
    const filtered2 = await app.query(Steps, {
      id: exec("e1"),
      filter: completed,
      first: 2,
      after: filtered1.execution?.steps.pageInfo.endCursor,
    });
    expect([...(keys(filtered1) ?? []), ...(keys(filtered2) ?? [])]).toEqual(["fetch", "transform", "archive"]);
    expect(filtered2.execution?.steps.totalCount).toBe(3);
  });
});

const Events = graphql(`
  query DetailTestEvents($id: ID!, $first: Int, $after: String, $last: Int) {
    execution(id: $id) {
      events(first: $first, after: $after, last: $last) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id sequence type executionStatus step { key } batch { index } execution { id } } }
      }
    }
  }
`);

describe("events", () => {
  it("lists e1's events by sequence with their step and batch", async () => {
    const { execution } = await app.query(Events, { id: exec("e1") });
    expect(execution?.events.totalCount).toBe(5);
    expect(execution?.events.edges.map((e) => e.node)).toEqual(
      [
        ["EXECUTION_QUEUED", "PENDING", null, null],
        ["EXECUTION_STARTED", "RUNNING", null, null],
        ["BATCH_STARTED", "RUNNING", null, { index: 0 }],
        ["STEP_STARTED", "RUNNING", { key: "fetch" }, { index: 0 }],
        ["STEP_COMPLETED", "RUNNING", { key: "fetch" }, { index: 0 }],
      ].map(([type, executionStatus, step, batch], i) => ({
        id: encodeGlobalId("ExecutionEvent", f.e1.events[i] as string),
        sequence: i + 1,
        type,
        executionStatus,
        step,
        batch,
        execution: { id: exec("e1") },
      })),
    );
  });

  it("resumes after a page and reads the tail", async () => {
    const page1 = await app.query(Events, { id: exec("e1"), first: 2 });
    const page2 = await app.query(Events, {
      id: exec("e1"),
      first: 2,
      after: page1.execution?.events.pageInfo.endCursor,
    });
    expect(page2.execution?.events.edges.map((e) => e.node.sequence)).toEqual([3, 4]);
    expect(page2.execution?.events.pageInfo.hasNextPage).toBe(true);
    const tail = await app.query(Events, { id: exec("e1"), last: 1 });
    expect(tail.execution?.events.edges.map((e) => e.node.sequence)).toEqual([5]);
  });

  it("is empty for a run without events", async () => {
    const { execution } = await app.query(Events, { id: exec("e3") });
    expect(execution?.events).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });
});

const CountsInList = graphql(`
  query DetailTestCountsInList($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Execution {
        done: steps(filter: { status: [COMPLETED] }) { totalCount }
        all: steps { totalCount }
        batches { totalCount }
        events { totalCount }
        logs(filter: { level: [INFO] }) { totalCount }
      }
    }
  }
`);

describe("nested connections under a list", () => {
  it("counts per parent, each with its own filter", async () => {
    const { nodes } = await app.query(CountsInList, { ids: [exec("e1"), exec("e4"), exec("e2")] });
    expect(nodes).toEqual([
      {
        done: { totalCount: 3 },
        all: { totalCount: 4 },
        batches: { totalCount: 3 },
        events: { totalCount: 5 },
        logs: { totalCount: 2 },
      },
      {
        done: { totalCount: 1 },
        all: { totalCount: 3 },
        batches: { totalCount: 1 },
        events: { totalCount: 0 },
        logs: { totalCount: 0 },
      },
      {
        done: { totalCount: 0 },
        all: { totalCount: 0 },
        batches: { totalCount: 0 },
        events: { totalCount: 0 },
        logs: { totalCount: 0 },
      },
    ]);
  });
});

const PageSizes = graphql(`
  query DetailTestPageSizes($e: ID!, $s: ID!, $b: ID!, $n: Int!) {
    execution(id: $e) {
      batches(first: $n) { totalCount }
      steps(first: $n) { totalCount }
      events(last: $n) { totalCount }
      logs(first: $n) { totalCount }
      retries(first: $n) { totalCount }
    }
    step: node(id: $s) { ... on Step { logs(last: $n) { totalCount } } }
    batch: node(id: $b) { ... on Batch { steps(first: $n) { totalCount } } }
  }
`);

describe("nested page sizes", () => {
  const vars = (n: number) => ({
    e: exec("e1"),
    s: stepId("fetch"),
    b: encodeGlobalId("Batch", f.e1.batches[1] as string),
    n,
  });

  it("accepts 100", async () => {
    const data = await app.query(PageSizes, vars(100));
    expect(data).toEqual({
      execution: {
        batches: { totalCount: 3 },
        steps: { totalCount: 4 },
        events: { totalCount: 5 },
        logs: { totalCount: 4 },
        retries: { totalCount: 0 },
      },
      step: { logs: { totalCount: 2 } },
      batch: { steps: { totalCount: 2 } },
    });
  });

  it("rejects 101 on every nested connection with BAD_USER_INPUT", async () => {
    const result = await app.request(PageSizes, vars(101));
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) {
      expect(error).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
      expect(error.message).toMatch(/must not exceed 100/);
    }
    // Every one of the three roots failed, not just the first.
    expect(new Set(result.errors?.map((e) => e.path?.[0]))).toEqual(new Set(["execution", "step", "batch"]));
  });
});
