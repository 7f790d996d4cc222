// Executions pages that PostgreSQL writes as response JSON (read/execution-page-json.ts) must be
// exactly what the resolvers answer: the same values, keys in the same order, the same errors. A
// second app on the same database with PRESHAPED_READS=false answers every query the usual way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createFixture, type Fixture, rebuildRollup } from "../support/fixture.ts";
import { silentLogger } from "../support/logs.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
let plain: App;
let plainUrl: string;
let fixture: Fixture;

beforeAll(async () => {
  app = await startTestApp({ RUN_WORKER: "false" });
  const db = app.app.db;
  fixture = await createFixture(db);
  const { tenantId, executions, workflows } = fixture;
  // Values the fixture leaves out: JSON in every column, an error naming a step, an empty error
  // message (no error), a scheduled workflow, a run whose percent is not a round number.
  await db.workflow.update({
    where: { id: workflows.beta },
    data: { schedule: { cron: "*/5 * * * *", timezone: "UTC" }, nextRunAt: new Date("2026-11-30T10:05:00.123Z") },
  });
  const e1Step = Object.values(fixture.e1.steps)[0] as string;
  await db.execution.update({
    where: { id: executions.e2 as string },
    data: {
      output: { b: [1, 2.5, { z: null, a: "x" }], a: "é\"\\\n" },
      context: { region: "eu", n: 3 },
      errorStepId: e1Step,
      idempotencyKey: "key-2",
      externalId: "ext-2",
      nextRetryAt: new Date("2026-12-01T00:00:00.007Z"),
    },
  });
  await db.execution.update({ where: { id: executions.e3 as string }, data: { errorMessage: "" } });
  const batch = await db.batch.create({ data: { tenantId, executionId: executions.e4 as string, index: 0 } });
  await db.step.createMany({
    data: ["COMPLETED", "FAILED", "RUNNING", "PENDING", "SKIPPED", "PENDING", "PENDING"].map((status, index) => ({
      tenantId,
      executionId: executions.e4 as string,
      batchId: batch.id,
      key: `k${index}`,
      name: `Step ${index}`,
      type: index % 2 ? "log" : "transform",
      index,
      status: status as "PENDING",
      critical: index !== 1,
      attempt: index === 1 ? 2 : 0,
      input: { i: index },
      output: index === 0 ? { ok: true } : undefined,
      error: index === 1 ? "boom" : null,
      errorCode: index === 1 ? "E_BOOM" : null,
      branchTaken: index === 0 ? "then" : null,
      startedAt: index < 3 ? new Date(Date.UTC(2026, 10, 2, 8, 0, index, 125)) : null,
      completedAt: index < 2 ? new Date(Date.UTC(2026, 10, 2, 8, 0, index + 1, 999)) : null,
      durationMs: index < 2 ? 1874 : null,
    })),
  });
  await rebuildRollup(db);
  plain = await createApp(
    loadConfig({ NODE_ENV: "test", DATABASE_URL: app.database.url, RUN_WORKER: "false", PRESHAPED_READS: "false" }),
    { log: silentLogger() },
  );
  plainUrl = (await plain.start(0, "127.0.0.1")).url;
});
afterAll(async () => {
  await plain?.stop();
  await app?.stop();
});

async function post(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get("content-type"), body: JSON.parse(text) as unknown };
}

/** changesCursor carries the time it was read: equal when both are cursors. */
const normalized = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === "changesCursor" && typeof v === "string" ? "<cursor>" : v)));

/** Both apps' answers, which must be the same; and whether the preshaped statement answered. */
async function both(query: string, variables?: Record<string, unknown>) {
  app.statements.length = 0;
  const fast = await post(app.url, query, variables);
  const preshaped = app.statements.some((s) => s.includes("read:executions-json"));
  const usual = await post(plainUrl, query, variables);
  // Keys may come in another order: graphql-jit puts a selection's own fields before its fragments'.
  expect(normalized(fast.body)).toEqual(normalized(usual.body));
  expect(fast.status).toBe(usual.status);
  expect(fast.contentType).toBe(usual.contentType);
  return { body: fast.body as { data?: Record<string, unknown>; errors?: unknown[] }, preshaped };
}

/** plugin-prisma's cursor of a step that does not exist. */
const MISSING_STEP_CURSOR = Buffer.from("GPC:S:00000000-0000-4000-8000-000000000000").toString("base64");

const EVERY_FIELD = `
  __typename
  totalCount
  changesCursor
  pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
  edges {
    __typename
    cursor
    node {
      __typename id workflowVersion status triggerSource triggerEvent input output context attempt
      nextRetryAt idempotencyKey externalId cancelReason createdAt startedAt completedAt durationMs
      error { __typename message code stepId }
      workflow { __typename id name description version isActive triggerEvent schedule nextRunAt createdAt updatedAt }
      progress { __typename totalSteps completedSteps failedSteps skippedSteps percent }
      steps(first: 3) {
        __typename totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { __typename cursor node {
          __typename id key name type index status critical attempt input output error errorCode branchTaken
          startedAt completedAt durationMs
        } }
      }
    }
  }`;

describe("preshaped executions pages", () => {
  it("answers the dashboard query from PostgreSQL's JSON, as the resolvers would", async () => {
    const { body, preshaped } = await both(`query {
      executions(first: 50) { edges { node {
        id status createdAt durationMs
        workflow { name }
        progress { totalSteps completedSteps failedSteps percent }
        steps(first: 10) { edges { node { key status durationMs } } }
      } } }
    }`);
    expect(preshaped).toBe(true);
    const edges = (body.data?.executions as { edges: { node: { progress: { percent: number } } }[] }).edges;
    expect(edges).toHaveLength(8); // the other tenant's run is not listed
    expect(edges.map((e) => e.node.progress.percent)).toContain(42.86); // 3 of 7 steps terminal
  });

  it("writes every field it takes as its resolver does, nulls and JSON included", async () => {
    for (const order of ["CREATED_AT", "STARTED_AT", "COMPLETED_AT", "DURATION"]) {
      for (const direction of ["ASC", "DESC"]) {
        const { preshaped } = await both(
          `query($o: ExecutionOrder) { executions(first: 8, orderBy: $o) { ${EVERY_FIELD} } }`,
          { o: { field: order, direction } },
        );
        expect(preshaped, `${order} ${direction}`).toBe(true);
      }
    }
  });

  it("pages forward and backward with the cursors it writes, and the resolvers' cursors", async () => {
    const orderBy = { field: "DURATION", direction: "ASC" }; // NULLs last: cursors over NULL values
    let after: string | null = null;
    const seen: string[] = [];
    for (;;) {
      const { body, preshaped } = await both(
        `query($after: String, $o: ExecutionOrder) { executions(first: 3, after: $after, orderBy: $o) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id durationMs } } } }`,
        { after, o: orderBy },
      );
      expect(preshaped).toBe(true);
      const page = body.data?.executions as {
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: { node: { id: string } }[];
      };
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(8);
    let before: string | null = null;
    for (let pages = 0; pages < 3; pages++) {
      const { body } = await both(
        `query($before: String, $o: ExecutionOrder) { executions(last: 3, before: $before, orderBy: $o) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }`,
        { before, o: orderBy },
      );
      const page = body.data?.executions as { pageInfo: { hasPreviousPage: boolean; startCursor: string } };
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
  });

  it("follows fragments, aliases, @skip/@include, filters and step pages", async () => {
    const query = `
      fragment Row on Execution { id status ... on Execution { createdAt } ...@include(if: $more) { durationMs } }
      fragment Page on ExecutionConnection { edges { node { ...Row } } }
      query($more: Boolean!, $status: [ExecutionStatus!]) {
        __typename
        all: executions(first: 5) { ...Page totalCount }
        done: executions(filter: { status: $status }) {
          totalCount
          edges { node {
            ...Row
            first: steps(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { key } } }
            none: steps(first: 0) { pageInfo { hasNextPage startCursor } edges { node { key } } }
            pending: steps(filter: { status: [PENDING] }) { totalCount edges { node { key @skip(if: $more) index } } }
            wf: workflow { name } workflow { id }
          } }
        }
        search: executions(filter: { search: "alpha" }, first: 2) { totalCount edges { node { id } } }
      }`;
    for (const more of [true, false]) {
      for (const status of [["COMPLETED"], ["RUNNING", "FAILED"], null]) {
        const { body, preshaped } = await both(query, { more, status });
        expect(preshaped).toBe(true);
        // Keys in the order the selection names them, through fragments (the spec's CollectFields).
        const row = (body.data?.all as { edges: { node: object }[] }).edges[0]?.node as object;
        expect(Object.keys(row)).toEqual(more ? ["id", "status", "createdAt", "durationMs"] : ["id", "status", "createdAt"]);
      }
    }
  });

  it("leaves to the resolvers what it does not write, with the same answer", async () => {
    for (const query of [
      `{ executions(first: 2) { edges { node { steps(first: 2, after: "${MISSING_STEP_CURSOR}") { edges { node { key } } } } } } }`,
      "{ executions(first: 2) { edges { node { id startedBy { kind } } } } }",
      "{ executions(first: 2) { edges { node { id retryOf { id } currentSteps { key } } } } }",
      "{ executions(first: 2) { edges { node { ... on Node { id } } } } }",
      "{ workflows(first: 1) { edges { node { name } } } executions(first: 1) { totalCount } }",
    ]) {
      const { preshaped } = await both(query);
      expect(preshaped, query).toBe(false);
    }
  });

  it("reports bad arguments as the resolvers do", async () => {
    for (const query of [
      "{ executions(first: 1000) { totalCount } }",
      '{ executions(first: 2, after: "nonsense") { totalCount } }',
      '{ executions(first: 2, before: "x") { totalCount } }',
      '{ executions(filter: { workflowId: "bad" }) { totalCount } }',
      "{ executions(first: 2) { edges { node { steps(first: 500) { totalCount } } } } }",
      "{ executions(first: 2) { edges { node { steps(first: -1) { totalCount } } } } }",
    ]) {
      const { body, preshaped } = await both(query);
      expect(preshaped, query).toBe(false);
      expect(body.errors, query).toBeDefined();
    }
  });

  it("calls a step cursor that holds no step id the client's mistake", async () => {
    const bad = Buffer.from("GPC:S:x").toString("base64");
    const { body } = await both(`{ executions(first: 1) { edges { node { steps(after: "${bad}") { totalCount } } } } }`);
    expect(body.errors).toMatchObject([{ message: `Invalid cursor: "${bad}"`, extensions: { code: "BAD_USER_INPUT" } }]);
  });
});
