// The workflowStats table and Workflow.stats through GraphQL on the fixture: alpha has e1 e2 e4 e6
// e8 (finished durations 5000 1000 2000 3000; completed 2, failed 1 of 4 finished), beta e3 e5 e7
// (finished 3000 9000; completed 1 of 2, e7 TIMED_OUT), gamma none. The other tenant's alpha and
// its run never count. Percentiles: over n sorted values, p sits at position p * (n - 1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

// Interpolated percentiles and means are doubles.
expect.addEqualityTesters([
  (a, b) =>
    typeof a === "number" && typeof b === "number" ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) : undefined,
]);

let app: TestApp;
let f: Fixture;
beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const wf = (name: "alpha" | "beta" | "gamma" | "other") => encodeGlobalId("Workflow", f.workflows[name]);
const nov = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();

/** failed = FAILED only; successRate = completed / finished. */
const workflowRow = (name: string, total: number, completed: number, failed: number, ...rest: (number | null)[]) => ({
  workflow: { name },
  total,
  completed,
  failed,
  successRate: rest[0] ?? null,
  avgDurationMs: rest[1] ?? null,
  p95DurationMs: rest[2] ?? null,
});
// alpha p95 at 0.95 * 3 = 2.85: 3000 + 0.85 * 2000; beta at 0.95: 3000 + 0.95 * 6000.
const ALPHA = workflowRow("alpha", 5, 2, 1, 0.5, 2750, 4700);
const BETA = workflowRow("beta", 3, 1, 0, 0.5, 6000, 8700);
const GAMMA = workflowRow("gamma", 0, 0, 0); // no runs: rates and durations null

const WorkflowStats = graphql(`
  query StatsTestWorkflowStats($first: Int, $after: String, $last: Int, $before: String, $filter: StatsFilter, $orderBy: WorkflowStatsOrder) {
    workflowStats(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node { workflow { name } total completed failed successRate avgDurationMs p95DurationMs } }
    }
  }
`);

describe("workflowStats", () => {
  const names = (r: { workflowStats: { edges: { node: { workflow: { name: string } } }[] } }) =>
    r.workflowStats.edges.map((e) => e.node.workflow.name);
  /** beta and gamma tie on FAILED (0): ties go by workflow id ascending, whatever the direction. */
  const zeroFailed = () => (f.workflows.beta < f.workflows.gamma ? ["beta", "gamma"] : ["gamma", "beta"]);

  it("lists every workflow of the tenant, most runs first, with gamma's empty stats", async () => {
    const result = await app.query(WorkflowStats, {});
    expect(result.workflowStats.totalCount).toBe(3);
    expect(result.workflowStats.edges.map((e) => e.node)).toEqual([ALPHA, BETA, GAMMA]);
  });

  // failure rates: alpha 1/4, beta 0/2, gamma none; gamma's NULLs sort last both ways.
  it.each([
    ["TOTAL", "DESC", () => ["alpha", "beta", "gamma"]],
    ["TOTAL", "ASC", () => ["gamma", "beta", "alpha"]],
    ["FAILED", "DESC", () => ["alpha", ...zeroFailed()]],
    ["FAILED", "ASC", () => [...zeroFailed(), "alpha"]],
    ["FAILURE_RATE", "DESC", () => ["alpha", "beta", "gamma"]],
    ["FAILURE_RATE", "ASC", () => ["beta", "alpha", "gamma"]],
    ["AVG_DURATION", "DESC", () => ["beta", "alpha", "gamma"]],
    ["AVG_DURATION", "ASC", () => ["alpha", "beta", "gamma"]],
    ["P95_DURATION", "DESC", () => ["beta", "alpha", "gamma"]],
    ["P95_DURATION", "ASC", () => ["alpha", "beta", "gamma"]],
  ] as const)("orders by %s %s", async (field, direction, expected) => {
    expect(names(await app.query(WorkflowStats, { orderBy: { field, direction } }))).toEqual(expected());
  });

  it("pages forwards, and past the end keeps totalCount", async () => {
    const page1 = await app.query(WorkflowStats, { first: 2 });
    expect(names(page1)).toEqual(["alpha", "beta"]);
    expect(page1.workflowStats.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page2 = await app.query(WorkflowStats, { first: 2, after: page1.workflowStats.pageInfo.endCursor });
    expect(names(page2)).toEqual(["gamma"]);
    expect(page2.workflowStats.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const past = await app.query(WorkflowStats, { first: 2, after: page2.workflowStats.pageInfo.endCursor });
    expect(past.workflowStats).toEqual({
      totalCount: 3,
      pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: null },
      edges: [],
    });
  });

  it("scopes to the filter", async () => {
    const beta = await app.query(WorkflowStats, { filter: { workflowId: wf("beta") } });
    expect(names(beta)).toEqual(["beta"]);
    expect(beta.workflowStats.totalCount).toBe(1);
    expect(await app.query(WorkflowStats, { filter: { workflowId: wf("other") } })).toMatchObject({
      workflowStats: { totalCount: 0, edges: [] },
    });
    // No runs in range: every workflow still listed with total 0, tied, so by id.
    const empty = await app.query(WorkflowStats, { filter: { from: nov(20) } });
    const byId = (["alpha", "beta", "gamma"] as const)
      .slice()
      .sort((a, b) => (f.workflows[a] < f.workflows[b] ? -1 : 1));
    expect(names(empty)).toEqual(byId);
    expect(empty.workflowStats.edges.every((e) => e.node.total === 0)).toBe(true);
  });

  it.each([[{ last: 1 }], [{ before: "b2Zmc2V0OjE" }], [{ first: 101 }], [{ after: "nonsense" }]])(
    "rejects %j with BAD_USER_INPUT",
    async (args) => {
      const result = await app.request(WorkflowStats, args);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    },
  );

  it("Workflow.stats covers that workflow only, ignoring a workflowId in its filter", async () => {
    const Table = graphql(`
      query StatsTestWorkflowTable($filter: StatsFilter) {
        workflows { edges { node { name stats(filter: $filter) { total successRate } } } }
      }
    `);
    const all = await app.query(Table, {});
    expect(all.workflows.edges.map((e) => [e.node.name, e.node.stats.total, e.node.stats.successRate])).toEqual([
      ["alpha", 5, 0.5],
      ["beta", 3, 0.5],
      ["gamma", 0, null],
    ]);
    const scoped = await app.query(Table, { filter: { workflowId: wf("beta"), to: nov(3) } });
    // Before Nov 3: alpha's e1 and e2 (1 of 2 completed); beta has none yet.
    expect(scoped.workflows.edges.map((e) => [e.node.name, e.node.stats.total, e.node.stats.successRate])).toEqual([
      ["alpha", 2, 0.5],
      ["beta", 0, null],
      ["gamma", 0, null],
    ]);
  });
});
