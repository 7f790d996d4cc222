// The cross-execution `steps` query and executionStats through GraphQL on the fixture
// (workflowStats and Workflow.stats are in workflow-stats.test.ts). The SQL's own arithmetic is covered in
// test/integration/stats.test.ts; here every expected value is worked out by hand from the fixture.
// Percentiles are percentile_cont's: over n sorted values, p sits at position p * (n - 1).

import type { StepStatus } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import type { ExecutionFilter, StepFilter } from "../generated/graphql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { nearPercentile } from "../support/approx.ts";
import { createFixture, type Fixture, rebuildRollup } from "../support/fixture.ts";

// Interpolated percentiles and means are doubles.
expect.addEqualityTesters([
  (a, b) =>
    typeof a === "number" && typeof b === "number" ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) : undefined,
]);

let app: TestApp;
let f: Fixture;

// Steps this file adds to the fixture (which only gives e1 steps: fetch, transform, notify=SKIPPED,
// archive). [execution, key, type, status, durationMs]. The other tenant's failed fetch must never
// show up: counted, it would make fetch (2 failures) outrank charge in failingSteps.
type Added = [execution: string, key: string, type: string, status: StepStatus, durationMs: number | null];
const added: Added[] = [
  ["e2", "fetch", "http", "FAILED", 800],
  ["e2", "transform", "transform", "CANCELLED", null],
  ["e3", "fetch", "http", "COMPLETED", 200],
  ["e4", "fetch", "http", "COMPLETED", 500],
  ["e4", "transform", "transform", "RUNNING", null],
  ["e7", "charge", "http", "FAILED", 9000],
  ["other", "fetch", "http", "FAILED", 100],
];
/** Step keys of every execution of the tenant, in definition order. */
const stepsOf: Record<string, string[]> = {
  e1: ["fetch", "transform", "notify", "archive"],
  e2: ["fetch", "transform"],
  e3: ["fetch"],
  e4: ["fetch", "transform"],
  e7: ["charge"],
};

beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
  const db = app.app.db;
  for (const key of ["e2", "e3", "e4", "e7", "other"]) {
    const own = key !== "other";
    const executionId = own ? (f.executions[key] as string) : f.otherExecution;
    const tenantId = own ? f.tenantId : f.otherTenantId;
    const batch = await db.batch.create({ data: { tenantId, executionId, index: 0 } });
    const rows = added.filter(([e]) => e === key);
    for (const [index, [, stepKey, type, status, durationMs]] of rows.entries()) {
      await db.step.create({
        data: {
          tenantId,
          executionId,
          batchId: batch.id,
          key: stepKey,
          name: stepKey,
          type,
          index,
          status,
          durationMs,
        },
      });
    }
  }
  await rebuildRollup(db); // these steps bypass the engine, which keeps the rollup
});
afterAll(() => app.stop());

const wf = (name: "alpha" | "beta" | "gamma" | "other") => encodeGlobalId("Workflow", f.workflows[name]);
const nov = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();

const Steps = graphql(`
  query StatsTestSteps(
    $first: Int, $after: String, $last: Int, $before: String, $filter: StepFilter, $executionFilter: ExecutionFilter
  ) {
    steps(first: $first, after: $after, last: $last, before: $before, filter: $filter, executionFilter: $executionFilter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { key execution { id } } }
    }
  }
`);

describe("steps across executions", () => {
  /** "e2.fetch" style labels of a page, from the execution's global ID. */
  const labels = (r: { steps: { edges: { node: { key: string; execution: { id: string } } }[] } }) =>
    r.steps.edges.map(({ node }) => {
      const exec = Object.entries(f.executions).find(([, id]) => encodeGlobalId("Execution", id) === node.execution.id);
      return `${exec?.[0] ?? "FOREIGN"}.${node.key}`;
    });
  /** Grouped by execution id descending, then definition order; `keep` narrows it. */
  const expected = (keep: (execution: string, key: string) => boolean = () => true) =>
    Object.keys(stepsOf)
      .sort((a, b) => ((f.executions[b] as string) < (f.executions[a] as string) ? -1 : 1))
      .flatMap((e) => (stepsOf[e] ?? []).filter((k) => keep(e, k)).map((k) => `${e}.${k}`));

  it("lists every step of the tenant, grouped by execution and in definition order", async () => {
    const result = await app.query(Steps, { first: 100 });
    expect(labels(result)).toEqual(expected());
    expect(result.steps.totalCount).toBe(10); // 4 + 2 + 1 + 2 + 1; the other tenant's step is not one
  });

  const typeOf = (e: string, k: string) => added.find(([ae, ak]) => ae === e && ak === k)?.[2] ?? { fetch: "http" }[k];
  const is =
    (...labels: string[]) =>
    (e: string, k: string) =>
      labels.includes(`${e}.${k}`) || labels.includes(e);
  const cases: [
    string,
    () => { filter?: StepFilter; executionFilter?: ExecutionFilter },
    (e: string, k: string) => boolean,
  ][] = [
    ["type http", () => ({ filter: { type: "http" } }), (e, k) => typeOf(e, k) === "http"],
    ["status FAILED", () => ({ filter: { status: ["FAILED"] } }), is("e2.fetch", "e7.charge")],
    ["status RUNNING", () => ({ filter: { status: ["RUNNING"] } }), is("e4.transform")],
    ["key transform", () => ({ filter: { key: "transform" } }), (_e, k) => k === "transform"],
    ["batchIndex 1", () => ({ filter: { batchIndex: 1 } }), is("e1.transform", "e1.notify")],
    ["runs that COMPLETED", () => ({ executionFilter: { status: ["COMPLETED"] } }), is("e1", "e3")],
    ["runs of beta", () => ({ executionFilter: { workflowId: wf("beta") } }), is("e3", "e7")],
    ["runs created from Nov 4", () => ({ executionFilter: { createdAfter: nov(4) } }), is("e4", "e7")],
    ["runs whose error mentions payments", () => ({ executionFilter: { search: "PAYMENTS" } }), is("e2")],
    [
      "http steps of alpha's runs",
      () => ({ filter: { type: "http" }, executionFilter: { workflowId: wf("alpha") } }),
      (e, k) => ["e1", "e2", "e4"].includes(e) && typeOf(e, k) === "http",
    ],
    ["runs of the other tenant's workflow", () => ({ executionFilter: { workflowId: wf("other") } }), () => false],
  ];
  it.each(cases)("filters by %s, and totalCount follows", async (_what, args, keep) => {
    const result = await app.query(Steps, { first: 100, ...args() });
    const want = expected(keep);
    expect(want.length).toBeLessThan(10);
    expect(labels(result)).toEqual(want);
    expect(result.steps.totalCount).toBe(want.length);
  });

  it("pages forwards to the end and backwards from it", async () => {
    const all = expected();
    const seen: string[] = [];
    let after: string | null | undefined;
    for (const size of [4, 4, 2]) {
      const page = await app.query(Steps, { first: 4, after });
      expect(page.steps.edges).toHaveLength(size);
      expect(page.steps.pageInfo.hasNextPage).toBe(seen.length + size < all.length);
      expect(page.steps.pageInfo.hasPreviousPage).toBe(after != null);
      expect(page.steps.totalCount).toBe(10);
      seen.push(...labels(page));
      after = page.steps.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect(labels(await app.query(Steps, { first: 4, after }))).toEqual([]);

    const tail = await app.query(Steps, { last: 3 });
    expect(labels(tail)).toEqual(all.slice(7));
    const before = await app.query(Steps, { last: 3, before: tail.steps.pageInfo.startCursor });
    expect(labels(before)).toEqual(all.slice(4, 7));
  });

  it.each([
    [{ first: 101 }],
    [{ executionFilter: { workflowId: "abc" } }],
    [{ executionFilter: { workflowId: encodeGlobalId("Execution", "2f1b6f0e-6a39-4c4e-9a53-0d7f6f3b8c11") } }],
  ])("rejects %j with BAD_USER_INPUT", async (args) => {
    const result = await app.request(Steps, args);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});

const Stats = graphql(`
  query StatsTestSummary($filter: StatsFilter) {
    executionStats(filter: $filter) {
      total
      byStatus { status count }
      successRate
      avgDurationMs
      p50DurationMs
      p95DurationMs
    }
  }
`);

/** The expected summary: counts in enum order (PENDING RUNNING COMPLETED FAILED CANCELLED TIMED_OUT PAUSED; the fixture has no PAUSED run). */
const summary = (total: number, counts: number[], ...[successRate, avg, p50, p95]: unknown[]) => ({
  total,
  byStatus: ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT", "PAUSED"].map((status, i) => ({
    status,
    count: counts[i] ?? 0,
  })),
  successRate: successRate ?? null,
  avgDurationMs: avg ?? null,
  p50DurationMs: p50 ?? null,
  p95DurationMs: p95 ?? null,
});
const empty = summary(0, [0, 0, 0, 0, 0, 0]);
const near = (p50: number, p95: number) => [nearPercentile(p50), nearPercentile(p95)];

/** Per-workflow rows (failed = FAILED only; successRate = completed / finished; durations as above). */
const workflowRow = (name: string, total: number, completed: number, failed: number, ...rest: (number | null)[]) => ({
  workflow: { name },
  total,
  completed,
  failed,
  successRate: rest[0] ?? null,
  avgDurationMs: rest[1] ?? null,
  p95DurationMs: rest[2] ?? null,
});
const ALPHA = workflowRow("alpha", 5, 2, 1, 0.5, 2750, 4700);
const BETA = workflowRow("beta", 3, 1, 0, 0.5, 6000, 8700);

describe("executionStats", () => {
  it.each([
    // Finished: e1 5000, e2 1000, e3 3000, e6 2000, e7 9000, e8 3000; completed e1 e3 e8 of 6.
    // Sorted 1000 2000 3000 3000 5000 9000: p50 at 2.5 = 3000; p95 at 4.75 = 5000 + 0.75 * 4000.
    // Without from/to the percentiles come from the all-time rollup's histogram: within 4.4% by design.
    ["no filter", () => ({}), summary(8, [1, 1, 3, 1, 1, 1], 0.5, 23000 / 6, ...near(3000, 8000))],
    // alpha: e1 e2 e4 e6 e8; finished 1000 2000 3000 5000, completed 2 of 4.
    // p50 at 1.5 = 2500; p95 at 2.85 = 3000 + 0.85 * 2000.
    ["alpha", () => ({ workflowId: wf("alpha") }), summary(5, [0, 1, 2, 1, 1, 0], 0.5, 2750, ...near(2500, 4700))],
    // beta: e3 e5 e7; finished 3000 9000, completed 1 of 2; p95 at 0.95 = 3000 + 0.95 * 6000.
    ["beta", () => ({ workflowId: wf("beta") }), summary(3, [1, 0, 1, 0, 0, 1], 0.5, 6000, ...near(6000, 8700))],
    ["gamma (no runs)", () => ({ workflowId: wf("gamma") }), empty],
    ["the other tenant's workflow", () => ({ workflowId: wf("other") }), empty],
    // Nov 2 (inclusive) to Nov 7 (exclusive): e2..e6; finished e2 1000, e3 3000, e6 2000, 1 completed.
    // p95 at 1.9 = 2000 + 0.9 * 1000.
    ["Nov 2 to Nov 7", () => ({ from: nov(2), to: nov(7) }), summary(5, [1, 1, 1, 1, 1, 0], 1 / 3, 2000, 2000, 2900)],
    ["a range without runs", () => ({ from: nov(20) }), empty],
  ])("summarises %s", async (_what, filter, expected) => {
    const { executionStats } = await app.query(Stats, { filter: filter() });
    expect(executionStats).toEqual(expected);
  });

  it("gives each status its mean duration, each workflow its failure rate and when it last ran", async () => {
    const Extras = graphql(`
      query StatsTestExtras($range: StatsFilter) {
        executionStats { byStatus { status avgDurationMs } }
        ranged: executionStats(filter: $range) { byStatus { status avgDurationMs } }
        workflowStats(first: 10) { edges { node { workflow { name lastExecutedAt } failureRate } } }
      }
    `);
    const result = await app.query(Extras, { range: { from: nov(2), to: nov(7) } });
    const means = (rows: { status: string; avgDurationMs?: number | null }[]) =>
      Object.fromEntries(rows.map((r) => [r.status, r.avgDurationMs ?? null]));
    // COMPLETED e1 5000, e3 3000, e8 3000; FAILED e2 1000; CANCELLED e6 2000; TIMED_OUT e7 9000;
    // PENDING and RUNNING have no duration (nor would PAUSED: none here). From the rollup (no range) and from the rows alike.
    const all = { PENDING: null, RUNNING: null, COMPLETED: 11000 / 3, FAILED: 1000, CANCELLED: 2000, TIMED_OUT: 9000, PAUSED: null };
    expect(means(result.executionStats.byStatus)).toEqual(all);
    // Nov 2 to Nov 7: e2..e6.
    const ranged = { ...all, COMPLETED: 3000, TIMED_OUT: null };
    expect(means(result.ranged.byStatus)).toEqual(ranged);
    // failureRate = FAILED / finished: alpha 1 of 4, beta 0 of 2, gamma none finished.
    const created = await app.app.db.execution.findMany({ where: { tenantId: f.tenantId }, select: { workflowId: true, createdAt: true } });
    const last = (name: "alpha" | "beta") =>
      new Date(Math.max(...created.filter((e) => e.workflowId === f.workflows[name]).map((e) => e.createdAt.getTime()))).toISOString();
    const rows = result.workflowStats.edges.map((e) => [e.node.workflow.name, e.node.failureRate, e.node.workflow.lastExecutedAt]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ["alpha", 0.25, last("alpha")],
        ["beta", 0, last("beta")],
        ["gamma", null, null],
      ]),
    );
    expect(rows).toHaveLength(3);
  });

  it("answers several scopes in one request alike", async () => {
    const Many = graphql(`
      query StatsTestMany($alpha: ID!, $beta: ID!) {
        all: executionStats { total successRate }
        alpha: executionStats(filter: { workflowId: $alpha }) { total successRate }
        beta: executionStats(filter: { workflowId: $beta }) { total }
        early: executionStats(filter: { to: "2026-11-03T00:00:00Z" }) { total }
        earlyAlpha: executionStats(filter: { workflowId: $alpha, to: "2026-11-03T00:00:00Z" }) { total }
      }
    `);
    expect(await app.query(Many, { alpha: wf("alpha"), beta: wf("beta") })).toEqual({
      all: { total: 8, successRate: 0.5 },
      alpha: { total: 5, successRate: 0.5 },
      beta: { total: 3 },
      early: { total: 2 },
      earlyAlpha: { total: 2 },
    });
  });

  it("includes from and excludes to, both exactly on a createdAt", async () => {
    // e1 was created Nov 1 09:00 and e8 Nov 8 09:00: e1..e7 are in.
    const { executionStats } = await app.query(Stats, { filter: { from: nov(1, 9), to: nov(8, 9) } });
    expect(executionStats.total).toBe(7);
  });

  it("rejects a workflowId that is not a Workflow ID", async () => {
    const result = await app.request(Stats, {
      filter: { workflowId: encodeGlobalId("Execution", f.executions.e1 as string) },
    });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });

  const Daily = graphql(`
    query StatsTestDaily($filter: StatsFilter, $days: Int) {
      executionStats(filter: $filter) { daily(days: $days) { date total completed failed cancelled } }
    }
  `);
  const day = (date: string, total = 0, completed = 0, failed = 0, cancelled = 0) =>
    ({ date, total, completed, failed, cancelled }) as const;

  it("counts runs per UTC day up to the day before `to`, empty days included", async () => {
    const { executionStats } = await app.query(Daily, { filter: { to: nov(9) }, days: 10 });
    expect(executionStats.daily).toEqual([
      day("2026-10-30"),
      day("2026-10-31"),
      day("2026-11-01", 1, 1),
      day("2026-11-02", 1, 0, 1),
      day("2026-11-03", 1, 1), // the other tenant's run that day does not count
      day("2026-11-04", 1), // RUNNING
      day("2026-11-05", 1), // PENDING
      day("2026-11-06", 1, 0, 0, 1),
      day("2026-11-07", 1), // TIMED_OUT is in total only
      day("2026-11-08", 1, 1),
    ]);
  });

  it("applies from, workflowId and an exclusive to within the days", async () => {
    const fromNov3 = await app.query(Daily, { filter: { from: nov(3), to: nov(6) }, days: 4 });
    expect(fromNov3.executionStats.daily).toEqual([
      day("2026-11-02"),
      day("2026-11-03", 1, 1),
      day("2026-11-04", 1),
      day("2026-11-05", 1),
    ]);
    // to = e8's createdAt: the last day is Nov 8, but e8 itself is out.
    const toE8 = await app.query(Daily, { filter: { to: nov(8, 9) }, days: 2 });
    expect(toE8.executionStats.daily).toEqual([day("2026-11-07", 1), day("2026-11-08")]);
    const beta = await app.query(Daily, { filter: { to: nov(9), workflowId: wf("beta") }, days: 7 });
    expect(beta.executionStats.daily.filter((d) => d.total > 0).map((d) => d.date)).toEqual([
      "2026-11-03",
      "2026-11-05",
      "2026-11-07",
    ]);
  });

  it.each([0, 367])("rejects days: %d with BAD_USER_INPUT", async (days) => {
    const result = await app.request(Daily, { filter: { to: nov(9) }, days });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });

  const Top = graphql(`
    query StatsTestTop($filter: StatsFilter, $limit: Int, $failing: Int) {
      executionStats(filter: $filter) {
        topWorkflows(limit: $limit) { workflow { name } total completed failed successRate avgDurationMs p95DurationMs }
        failingSteps(limit: $failing) { type key total failed failureRate avgDurationMs p95DurationMs }
      }
    }
  `);
  // COMPLETED/FAILED steps only. fetch: e1 1000 C, e2 800 F, e3 200 C, e4 500 C (sorted 200 500 800 1000,
  // p95 at 2.85 = 800 + 0.85 * 200); charge: e7 9000 F. Equal failures: the higher rate first.
  const stepRow = (key: string, total: number, failed: number, failureRate: number, avg: number, p95: number) => ({
    type: "http",
    key,
    total,
    failed,
    failureRate,
    avgDurationMs: avg,
    p95DurationMs: p95,
  });
  const charge = stepRow("charge", 1, 1, 1, 9000, 9000);
  const fetch = stepRow("fetch", 4, 1, 0.25, 625, 970);

  it("ranks the busiest workflows (gamma has no runs) and the failing steps", async () => {
    const { executionStats } = await app.query(Top, {});
    expect(executionStats).toEqual({
      topWorkflows: [ALPHA, BETA],
      failingSteps: [charge, fetch],
    });
    const limited = await app.query(Top, { limit: 1, failing: 1 });
    expect(limited.executionStats.topWorkflows.map((w) => w.workflow.name)).toEqual(["alpha"]);
    expect(limited.executionStats.failingSteps).toEqual([charge]);
  });

  it("scopes both to the filter", async () => {
    // alpha's fetch: e1 1000, e2 800 F, e4 500 (sorted 500 800 1000; p95 at 1.9 = 800 + 0.9 * 200).
    const alpha = await app.query(Top, { filter: { workflowId: wf("alpha") } });
    expect(alpha.executionStats.topWorkflows.map((w) => w.workflow.name)).toEqual(["alpha"]);
    expect(alpha.executionStats.failingSteps).toEqual([stepRow("fetch", 3, 1, 1 / 3, 2300 / 3, 980)]);
    // From Nov 7: e7 (beta) and e8 (alpha), one run each: ties go by workflow id.
    const late = await app.query(Top, { filter: { from: nov(7) } });
    const tie = f.workflows.alpha < f.workflows.beta ? ["alpha", "beta"] : ["beta", "alpha"];
    expect(late.executionStats.topWorkflows.map((w) => [w.workflow.name, w.total])).toEqual(tie.map((n) => [n, 1]));
    expect(late.executionStats.failingSteps).toEqual([charge]);
  });

  it.each([[{ limit: 0 }], [{ limit: 101 }], [{ failing: 0 }], [{ failing: 101 }]])(
    "rejects %j with BAD_USER_INPUT",
    async (args) => {
      const result = await app.request(Top, args);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    },
  );
});
