// Execution statistics over a small fixed fixture; every expected value is worked out by hand in
// the comments. Percentiles are percentile_cont's linear interpolation: over n sorted values the
// p-th percentile sits at position p * (n - 1) (0-based) between its two neighbours.
import type { ExecutionStatus, StepStatus } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopeToTenant } from "../../src/db/tenant-scope.ts";
import { BadUserInputError } from "../../src/errors.ts";
import {
  dailyCounts,
  failingSteps,
  type StatsScope,
  statsSummaries,
  topWorkflows,
  type WorkflowStatsOrderField,
  workflowStatsPage,
} from "../../src/services/stats.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { nearPercentile } from "../support/approx.ts";
import { rebuildRollup } from "../support/fixture.ts";

// Interpolated percentiles and ratios are doubles (880 comes back as 879.9999999999999).
expect.addEqualityTesters([
  (a, b) =>
    typeof a === "number" && typeof b === "number" ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) : undefined,
]);

let t: TestDatabase;

// Fixed ids so that ties (broken by workflow id) have a known order: gamma < beta < alpha < delta.
const GAMMA = "00000000-0000-4000-8000-000000000001"; // no runs at all
const BETA = "00000000-0000-4000-8000-000000000002";
const ALPHA = "00000000-0000-4000-8000-000000000003";
const DELTA = "00000000-0000-4000-8000-000000000004";
const OTHER_ALPHA = "00000000-0000-4000-8000-000000000005"; // tenant B's

let A: string; // the tenant under test
let B: string; // another tenant whose rows must never count
let C: string; // a tenant with nothing

const jan = (dayAndTime: string) => new Date(`2024-01-${dayAndTime}Z`);

type StepSpec = [key: string, type: string, status: StepStatus, durationMs: number | null];

async function run(
  tenantId: string,
  workflowId: string,
  status: ExecutionStatus,
  createdAt: Date,
  durationMs: number | null,
  steps: StepSpec[] = [],
): Promise<void> {
  const { id } = await t.db.execution.create({
    data: { tenantId, workflowId, workflowVersion: 1, status, createdAt, durationMs },
    select: { id: true },
  });
  if (steps.length === 0) return;
  const batch = await t.db.batch.create({ data: { tenantId, executionId: id, index: 0 }, select: { id: true } });
  await t.db.step.createMany({
    data: steps.map(([key, type, stepStatus, stepDuration], index) => ({
      tenantId,
      executionId: id,
      batchId: batch.id,
      key,
      name: key,
      type,
      index,
      status: stepStatus,
      durationMs: stepDuration,
    })),
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  const db = t.db;
  A = (await db.tenant.create({ data: { slug: "a", name: "A" } })).id;
  B = (await db.tenant.create({ data: { slug: "b", name: "B" } })).id;
  C = (await db.tenant.create({ data: { slug: "c", name: "C" } })).id;
  await db.workflow.createMany({
    data: [
      { id: ALPHA, tenantId: A, name: "alpha" },
      { id: BETA, tenantId: A, name: "beta" },
      { id: GAMMA, tenantId: A, name: "gamma" },
      { id: DELTA, tenantId: A, name: "delta" },
      { id: OTHER_ALPHA, tenantId: B, name: "alpha" },
    ],
  });
  // alpha: 6 runs
  await run(A, ALPHA, "COMPLETED", jan("01T10:00:00"), 100, [
    ["fetch", "http", "COMPLETED", 100],
    ["save", "db", "COMPLETED", 20],
    ["ping", "http", "COMPLETED", 20],
  ]);
  await run(A, ALPHA, "COMPLETED", jan("01T23:59:00"), 200);
  await run(A, ALPHA, "FAILED", jan("02T00:00:00"), 300, [
    ["fetch", "http", "FAILED", 300],
    ["save", "db", "SKIPPED", null], // not terminal-with-a-verdict: ignored
  ]);
  await run(A, ALPHA, "COMPLETED", jan("03T12:00:00"), 400, [["save", "db", "FAILED", 10]]);
  await run(A, ALPHA, "RUNNING", jan("03T13:00:00"), null);
  await run(A, ALPHA, "TIMED_OUT", jan("05T08:00:00"), 1000);
  // beta: 6 runs
  await run(A, BETA, "FAILED", jan("02T09:00:00"), 50, [
    ["fetch", "http", "FAILED", 500],
    ["notify", "email", "RUNNING", null], // ignored
  ]);
  await run(A, BETA, "FAILED", jan("02T10:00:00"), 150);
  await run(A, BETA, "CANCELLED", jan("04T00:00:00"), null);
  await run(A, BETA, "COMPLETED", jan("04T11:00:00"), 250, [
    ["fetch", "http", "COMPLETED", 200],
    ["notify", "email", "COMPLETED", 40],
    ["save", "db", "COMPLETED", 30],
    ["archive", "s3", "COMPLETED", 5], // never failed: not listed
  ]);
  await run(A, BETA, "PENDING", jan("05T23:00:00"), null);
  await run(A, BETA, "FAILED", jan("05T23:59:59.999"), 350, [
    ["notify", "email", "FAILED", 60],
    ["fetch", "http", "COMPLETED", 100],
    ["ping", "http", "FAILED", 80],
  ]);
  // delta: 1 run
  await run(A, DELTA, "COMPLETED", jan("03T05:00:00"), 600);
  // tenant B: inside every range above (and now, for "today"); must never show up for A.
  await run(B, OTHER_ALPHA, "FAILED", jan("02T12:00:00"), 5000, [["fetch", "http", "FAILED", 9999]]);
  await run(B, OTHER_ALPHA, "COMPLETED", new Date(), 7);
  await rebuildRollup(db);
});
afterAll(() => t?.drop());

// Each status's mean duration is checked through GraphQL (test/e2e/steps-and-stats.test.ts).
// The fixture has no PAUSED run: its count is always 0.
const statuses = (counts: [number, number, number, number, number, number]) =>
  (["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT", "PAUSED"] as const).map((status, i) =>
    expect.objectContaining({ status, count: counts[i] ?? 0 }),
  );

const EMPTY_SUMMARY = {
  total: 0,
  byStatus: statuses([0, 0, 0, 0, 0, 0]),
  successRate: null,
  avgDurationMs: null,
  p50DurationMs: null,
  p95DurationMs: null,
};

describe("statsSummaries", () => {
  // Without from/to, summaries come from the all-time rollup: percentiles from its duration
  // histogram (within 4.4% of percentile_cont, by design), everything else exact.
  it("summarises each workflow and the whole tenant in one statement", async () => {
    t.statements.length = 0;
    const result = await statsSummaries(scopeToTenant(t.db, A), [
      { workflowId: ALPHA },
      { workflowId: BETA },
      { workflowId: GAMMA },
      {},
    ]);
    expect(t.statements).toHaveLength(1);
    expect(result).toEqual([
      {
        // alpha: COMPLETED 3, FAILED 1, TIMED_OUT 1, RUNNING 1; finished 5 → success 3/5.
        // durations [100,200,300,400,1000]: avg 2000/5 = 400; p50 at 2 → 300;
        // p95 at 0.95*4 = 3.8 → 400 + 0.8*(1000-400) = 880.
        total: 6,
        byStatus: statuses([0, 1, 3, 1, 0, 1]),
        successRate: 0.6,
        avgDurationMs: 400,
        p50DurationMs: nearPercentile(300),
        p95DurationMs: nearPercentile(880),
      },
      {
        // beta: FAILED 3, COMPLETED 1, CANCELLED 1, PENDING 1; finished 5 → success 1/5.
        // durations [50,150,250,350]: avg 800/4 = 200; p50 at 1.5 → 150 + 0.5*100 = 200;
        // p95 at 0.95*3 = 2.85 → 250 + 0.85*100 = 335.
        total: 6,
        byStatus: statuses([1, 0, 1, 3, 1, 0]),
        successRate: 0.2,
        avgDurationMs: 200,
        p50DurationMs: nearPercentile(200),
        p95DurationMs: nearPercentile(335),
      },
      EMPTY_SUMMARY, // gamma has no runs
      {
        // all of A: 6 + 6 + delta's 1 = 13; COMPLETED 3+1+1 = 5, FAILED 1+3 = 4; finished 5+5+1 = 11.
        // durations [50,100,150,200,250,300,350,400,600,1000]: avg 3400/10 = 340;
        // p50 at 4.5 → 250 + 0.5*50 = 275; p95 at 0.95*9 = 8.55 → 600 + 0.55*400 = 820.
        total: 13,
        byStatus: statuses([1, 1, 5, 4, 1, 1]),
        successRate: 5 / 11,
        avgDurationMs: 340,
        p50DurationMs: nearPercentile(275),
        p95DurationMs: nearPercentile(820),
      },
    ]);
  });

  it("applies from (inclusive) and to (exclusive), and still uses one statement across ranges", async () => {
    const range = { from: jan("02T00:00:00"), to: jan("04T00:00:00") };
    t.statements.length = 0;
    const [alpha, all, alphaAgain, later] = await statsSummaries(scopeToTenant(t.db, A), [
      { workflowId: ALPHA, ...range },
      range,
      { workflowId: ALPHA.toUpperCase(), ...range },
      { from: jan("06T00:00:00") },
    ]);
    expect(t.statements).toHaveLength(1);
    // The tenant comes from the scoped client: B asking for A's workflow sees nothing.
    const [otherTenant] = await statsSummaries(scopeToTenant(t.db, B), [{ workflowId: ALPHA }]);
    // alpha in [02, 04): FAILED 300 (at exactly 02T00:00), COMPLETED 400, RUNNING; 01T23:59 is out.
    // finished 2 → 1/2; durations [300,400]: avg 350, p50 350, p95 at 0.95 → 300 + 0.95*100 = 395.
    expect(alpha).toEqual({
      total: 3,
      byStatus: statuses([0, 1, 1, 1, 0, 0]),
      successRate: 0.5,
      avgDurationMs: 350,
      p50DurationMs: 350,
      p95DurationMs: 395,
    });
    expect(alphaAgain).toEqual(alpha);
    // all of A in [02, 04): alpha's 3 + beta's FAILED 50, FAILED 150 + delta's COMPLETED 600;
    // beta's CANCELLED at exactly 04T00:00 is out. FAILED 3, COMPLETED 2, RUNNING 1; finished 5 → 2/5.
    // durations [50,150,300,400,600]: avg 1500/5 = 300; p50 300; p95 at 3.8 → 400 + 0.8*200 = 560.
    expect(all).toEqual({
      total: 6,
      byStatus: statuses([0, 1, 2, 3, 0, 0]),
      successRate: 0.4,
      avgDurationMs: 300,
      p50DurationMs: 300,
      p95DurationMs: 560,
    });
    expect(later).toEqual(EMPTY_SUMMARY);
    expect(otherTenant).toEqual(EMPTY_SUMMARY); // A's workflow asked for under tenant B
  });

  it("gives nulls when nothing finished, zeros for unknown or malformed ids, and [] for no scopes", async () => {
    // Only beta's PENDING run (05T23:00) is in [05T12:00, 05T23:30).
    const [pendingOnly, unknown, malformed] = await statsSummaries(scopeToTenant(t.db, A), [
      { workflowId: BETA, from: jan("05T12:00:00"), to: jan("05T23:30:00") },
      { workflowId: "00000000-0000-4000-8000-0000000000ff" },
      { workflowId: "not-a-uuid" },
    ]);
    expect(pendingOnly).toEqual({ ...EMPTY_SUMMARY, total: 1, byStatus: statuses([1, 0, 0, 0, 0, 0]) });
    expect(unknown).toEqual(EMPTY_SUMMARY);
    expect(malformed).toEqual(EMPTY_SUMMARY);
    t.statements.length = 0;
    expect(await statsSummaries(scopeToTenant(t.db, A), [])).toEqual([]);
    expect(t.statements).toHaveLength(0);
  });
});

describe("dailyCounts", () => {
  const day = (date: string, total: number, completed = 0, failed = 0, cancelled = 0) => ({
    date,
    total,
    completed,
    failed,
    cancelled,
  });

  it("lists every UTC day up to the one before `to`, zeros included, oldest first", async () => {
    // to = 06T00:00 (exclusive) → last day 01-05; 7 days → 2023-12-30 .. 2024-01-05.
    // 01: alpha C, C. 02: alpha F, beta F, F. 03: alpha C, R, delta C. 04: beta X, C.
    // 05: alpha TIMED_OUT (in total only: failed = FAILED), beta P, F. Sum 2+3+3+2+3 = 13.
    expect(await dailyCounts(scopeToTenant(t.db, A), { to: jan("06T00:00:00") }, 7)).toEqual([
      day("2023-12-30", 0),
      day("2023-12-31", 0),
      day("2024-01-01", 2, 2),
      day("2024-01-02", 3, 0, 3),
      day("2024-01-03", 3, 2),
      day("2024-01-04", 2, 1, 0, 1),
      day("2024-01-05", 3, 0, 1),
    ]);
  });

  it("cuts the last day at `to`, counts nothing before `from`, and filters by workflow", async () => {
    // to = 05T12:00 keeps only alpha's TIMED_OUT run of 01-05.
    expect(await dailyCounts(scopeToTenant(t.db, A), { to: jan("05T12:00:00") }, 2)).toEqual([
      day("2024-01-04", 2, 1, 0, 1),
      day("2024-01-05", 1),
    ]);
    // from = 03T00:00: 01-01 and 01-02 are in the series but count 0.
    expect(await dailyCounts(scopeToTenant(t.db, A), { from: jan("03T00:00:00"), to: jan("04T00:00:00") }, 3)).toEqual([
      day("2024-01-01", 0),
      day("2024-01-02", 0),
      day("2024-01-03", 3, 2),
    ]);
    // beta only: 04: CANCELLED, COMPLETED; 05: PENDING, FAILED.
    expect(await dailyCounts(scopeToTenant(t.db, A), { workflowId: BETA, to: jan("06T00:00:00") }, 3)).toEqual([
      day("2024-01-03", 0),
      day("2024-01-04", 2, 1, 0, 1),
      day("2024-01-05", 2, 0, 1),
    ]);
  });

  it("ends today (UTC) without `to`, and only counts the scope's tenant", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(await dailyCounts(scopeToTenant(t.db, B), {}, 2)).toEqual([day(yesterday, 0), day(today, 1, 1)]);
    expect(await dailyCounts(scopeToTenant(t.db, C), {}, 1)).toEqual([day(today, 0)]);
    // A's 01-02 has 3 runs; B's FAILED run that day is not among them.
    const [jan2] = await dailyCounts(scopeToTenant(t.db, A), { to: jan("03T00:00:00") }, 1);
    expect(jan2).toEqual(day("2024-01-02", 3, 0, 3));
    expect(await dailyCounts(scopeToTenant(t.db, A), {}, 366)).toHaveLength(366);
  });

  it("rejects days outside 1..366", async () => {
    for (const days of [0, 367, 1.5, Number.NaN]) {
      await expect(dailyCounts(scopeToTenant(t.db, A), {}, days)).rejects.toBeInstanceOf(BadUserInputError);
    }
  });
});

// alpha: total 6, COMPLETED 3, FAILED 1, success 3/5, failure 1/5, avg 400, p95 880 (see above).
const ALPHA_ROW = {
  workflowId: ALPHA,
  total: 6,
  completed: 3,
  failed: 1,
  successRate: 0.6,
  failureRate: 0.2,
  avgDurationMs: 400,
  p95DurationMs: 880,
};
// beta: total 6, COMPLETED 1, FAILED 3, success 1/5, failure 3/5, avg 200, p95 335.
const BETA_ROW = {
  workflowId: BETA,
  total: 6,
  completed: 1,
  failed: 3,
  successRate: 0.2,
  failureRate: 0.6,
  avgDurationMs: 200,
  p95DurationMs: 335,
};
// delta: one COMPLETED run of 600 ms: success 1, failure 0, avg = p95 = 600.
const DELTA_ROW = {
  workflowId: DELTA,
  total: 1,
  completed: 1,
  failed: 0,
  successRate: 1,
  failureRate: 0,
  avgDurationMs: 600,
  p95DurationMs: 600,
};
const GAMMA_ROW = {
  workflowId: GAMMA,
  total: 0,
  completed: 0,
  failed: 0,
  successRate: null,
  failureRate: null,
  avgDurationMs: null,
  p95DurationMs: null,
};

describe("topWorkflows", () => {
  it("orders by total desc then workflow id, and leaves out workflows without runs", async () => {
    // alpha and beta tie at 6: beta's id is smaller.
    expect(await topWorkflows(scopeToTenant(t.db, A), {}, 10)).toEqual([BETA_ROW, ALPHA_ROW, DELTA_ROW]);
    expect(await topWorkflows(scopeToTenant(t.db, A), {}, 1)).toEqual([BETA_ROW]);
  });

  it("applies the scope", async () => {
    // [04, 06): alpha TIMED_OUT 1000 → total 1, finished 1, success 0, avg = p95 = 1000.
    // beta CANCELLED, COMPLETED 250, PENDING, FAILED 350 → total 4, finished 3, success 1/3,
    // durations [250,350]: avg 300, p95 at 0.95 → 250 + 0.95*100 = 345.
    expect(await topWorkflows(scopeToTenant(t.db, A), { from: jan("04T00:00:00"), to: jan("06T00:00:00") }, 5)).toEqual([
      {
        workflowId: BETA,
        total: 4,
        completed: 1,
        failed: 1,
        successRate: 1 / 3,
        failureRate: 1 / 3,
        avgDurationMs: 300,
        p95DurationMs: 345,
      },
      {
        workflowId: ALPHA,
        total: 1,
        completed: 0,
        failed: 0,
        successRate: 0,
        failureRate: 0,
        avgDurationMs: 1000,
        p95DurationMs: 1000,
      },
    ]);
    expect(await topWorkflows(scopeToTenant(t.db, A), { workflowId: DELTA }, 5)).toEqual([DELTA_ROW]);
    expect(await topWorkflows(scopeToTenant(t.db, A), { workflowId: GAMMA }, 5)).toEqual([]);
    expect(await topWorkflows(scopeToTenant(t.db, B), { workflowId: ALPHA }, 5)).toEqual([]);
    expect(await topWorkflows(scopeToTenant(t.db, C), {}, 5)).toEqual([]);
  });

  it("rejects limits outside 1..100", async () => {
    for (const limit of [0, 101, 2.5]) {
      await expect(topWorkflows(scopeToTenant(t.db, A), {}, limit)).rejects.toBeInstanceOf(BadUserInputError);
    }
  });
});

describe("failingSteps", () => {
  // Of tenant A's steps, only COMPLETED/FAILED ones count (the SKIPPED save and RUNNING notify don't):
  // http/fetch: C100, F300, F500, C200, C100 → 5, failed 2, rate 0.4; [100,100,200,300,500]:
  //   avg 1200/5 = 240, p95 at 3.8 → 300 + 0.8*200 = 460. (B's F9999 would change all of this.)
  // email/notify: C40, F60 → 2, failed 1, rate 0.5; avg 50, p95 at 0.95 → 40 + 0.95*20 = 59.
  // http/ping: C20, F80 → 2, failed 1, rate 0.5; avg 50, p95 → 20 + 0.95*60 = 77.
  // db/save: C20, F10, C30 → 3, failed 1, rate 1/3; [10,20,30]: avg 20, p95 at 1.9 → 20 + 0.9*10 = 29.
  // s3/archive: never failed → left out.
  // Order: failed desc (fetch); then rate desc (0.5s before save); then type ("email" < "http").
  const FETCH = {
    type: "http",
    key: "fetch",
    total: 5,
    failed: 2,
    failureRate: 0.4,
    avgDurationMs: 240,
    p95DurationMs: 460,
  };
  const NOTIFY = {
    type: "email",
    key: "notify",
    total: 2,
    failed: 1,
    failureRate: 0.5,
    avgDurationMs: 50,
    p95DurationMs: 59,
  };
  const PING = {
    type: "http",
    key: "ping",
    total: 2,
    failed: 1,
    failureRate: 0.5,
    avgDurationMs: 50,
    p95DurationMs: 77,
  };
  const SAVE = {
    type: "db",
    key: "save",
    total: 3,
    failed: 1,
    failureRate: 1 / 3,
    avgDurationMs: 20,
    p95DurationMs: 29,
  };

  it("groups terminal steps by type and key, worst first", async () => {
    expect(await failingSteps(scopeToTenant(t.db, A), {}, 10)).toEqual([FETCH, NOTIFY, PING, SAVE]);
    expect(await failingSteps(scopeToTenant(t.db, A), {}, 2)).toEqual([FETCH, NOTIFY]);
  });

  it("applies the scope through the step's execution", async () => {
    // alpha: fetch C100, F300 → 2/1/0.5, avg 200, p95 100 + 0.95*200 = 290; save C20, F10 → 2/1/0.5,
    // avg 15, p95 10 + 0.95*10 = 19.5; ping C20 never failed. Tie on failed and rate → "db" < "http".
    expect(await failingSteps(scopeToTenant(t.db, A), { workflowId: ALPHA }, 10)).toEqual([
      { type: "db", key: "save", total: 2, failed: 1, failureRate: 0.5, avgDurationMs: 15, p95DurationMs: 19.5 },
      { type: "http", key: "fetch", total: 2, failed: 1, failureRate: 0.5, avgDurationMs: 200, p95DurationMs: 290 },
    ]);
    // [04, 06): beta's runs of 04T11 and 05T23:59 → fetch C200, C100 (never failed); notify C40, F60;
    // save C30; ping F80 → 1/1/1.0. Rate 1 before 0.5.
    expect(await failingSteps(scopeToTenant(t.db, A), { from: jan("04T00:00:00"), to: jan("06T00:00:00") }, 10)).toEqual([
      { type: "http", key: "ping", total: 1, failed: 1, failureRate: 1, avgDurationMs: 80, p95DurationMs: 80 },
      NOTIFY,
    ]);
    expect(await failingSteps(scopeToTenant(t.db, A), { to: jan("01T00:00:00") }, 10)).toEqual([]);
    expect(await failingSteps(scopeToTenant(t.db, C), {}, 10)).toEqual([]);
    // B's only terminal step: http/fetch F9999.
    expect(await failingSteps(scopeToTenant(t.db, B), {}, 10)).toEqual([
      { type: "http", key: "fetch", total: 1, failed: 1, failureRate: 1, avgDurationMs: 9999, p95DurationMs: 9999 },
    ]);
  });

  it("rejects limits outside 1..100", async () => {
    await expect(failingSteps(scopeToTenant(t.db, A), {}, 0)).rejects.toBeInstanceOf(BadUserInputError);
    await expect(failingSteps(scopeToTenant(t.db, A), {}, 101)).rejects.toBeInstanceOf(BadUserInputError);
  });
});

describe("workflowStatsPage", () => {
  // Ids: gamma < beta < alpha < delta. Values per workflow (rates are failed / finished):
  //          total  failed  failureRate  avg   p95
  //   alpha    6      1       1/5        400   880
  //   beta     6      3       3/5        200   335
  //   delta    1      0       0          600   600
  //   gamma    0      0       null       null  null
  const rows = { alpha: ALPHA_ROW, beta: BETA_ROW, delta: DELTA_ROW, gamma: GAMMA_ROW };
  type Name = keyof typeof rows;
  const orders: [WorkflowStatsOrderField, "asc" | "desc", Name[]][] = [
    ["TOTAL", "desc", ["beta", "alpha", "delta", "gamma"]], // alpha/beta tie → id
    ["TOTAL", "asc", ["gamma", "delta", "beta", "alpha"]], // ties stay id ascending
    ["FAILED", "desc", ["beta", "alpha", "gamma", "delta"]], // gamma/delta tie at 0 → id
    ["FAILED", "asc", ["gamma", "delta", "alpha", "beta"]],
    ["FAILURE_RATE", "desc", ["beta", "alpha", "delta", "gamma"]], // null last
    ["FAILURE_RATE", "asc", ["delta", "alpha", "beta", "gamma"]], // null last here too
    ["AVG_DURATION", "desc", ["delta", "alpha", "beta", "gamma"]],
    ["AVG_DURATION", "asc", ["beta", "alpha", "delta", "gamma"]],
    ["P95_DURATION", "desc", ["alpha", "delta", "beta", "gamma"]],
    ["P95_DURATION", "asc", ["beta", "delta", "alpha", "gamma"]],
  ];

  it.each(orders)("sorts by %s %s, pages with offset and limit, in one statement", async (field, direction, names) => {
    const scope: StatsScope = {};
    const db = scopeToTenant(t.db, A);
    t.statements.length = 0;
    const all = await workflowStatsPage(db, scope, { field, direction }, { offset: 0, limit: 10 });
    expect(t.statements).toHaveLength(1);
    expect(all).toEqual({ totalCount: 4, rows: names.map((n) => rows[n]) });
    const middle = await workflowStatsPage(db, scope, { field, direction }, { offset: 1, limit: 2 });
    expect(middle).toEqual({ totalCount: 4, rows: names.slice(1, 3).map((n) => rows[n]) });
    const last = await workflowStatsPage(db, scope, { field, direction }, { offset: 3, limit: 5 });
    expect(last).toEqual({ totalCount: 4, rows: names.slice(3).map((n) => rows[n]) });
  });

  it("keeps the count past the end, and applies the scope", async () => {
    const order = { field: "TOTAL", direction: "desc" } as const;
    t.statements.length = 0;
    expect(await workflowStatsPage(scopeToTenant(t.db, A), {}, order, { offset: 4, limit: 10 })).toEqual({
      totalCount: 4,
      rows: [],
    });
    expect(t.statements).toHaveLength(1);
    expect(await workflowStatsPage(scopeToTenant(t.db, A), { workflowId: GAMMA }, order, { offset: 0, limit: 10 })).toEqual({
      totalCount: 1,
      rows: [GAMMA_ROW],
    });
    // [04, 06): beta 4 runs, alpha 1 (see topWorkflows); delta and gamma none but still listed.
    const range = { from: jan("04T00:00:00"), to: jan("06T00:00:00") };
    const page = await workflowStatsPage(scopeToTenant(t.db, A), range, order, { offset: 0, limit: 10 });
    expect(page.totalCount).toBe(4);
    expect(page.rows.map((r) => [r.workflowId, r.total])).toEqual([
      [BETA, 4],
      [ALPHA, 1],
      [GAMMA, 0],
      [DELTA, 0],
    ]);
    // B's workflow is invisible to A, and A's to B; C has none.
    for (const [tenantId, scope] of [
      [A, { workflowId: OTHER_ALPHA }],
      [B, { workflowId: ALPHA }],
      [C, {}],
      [A, { workflowId: "nope" }],
    ] as const) {
      expect(await workflowStatsPage(scopeToTenant(t.db, tenantId), scope, order, { offset: 0, limit: 10 })).toEqual({
        totalCount: 0,
        rows: [],
      });
    }
    // B's own workflow: FAILED 5000 and COMPLETED 7 → total 2, success 1/2, avg 2503.5,
    // p95 at 0.95 → 7 + 0.95*4993 = 4750.35.
    const b = await workflowStatsPage(scopeToTenant(t.db, B), {}, order, { offset: 0, limit: 10 });
    expect(b.totalCount).toBe(1);
    expect(b.rows[0]).toMatchObject({ workflowId: OTHER_ALPHA, total: 2, completed: 1, failed: 1, successRate: 0.5 });
    expect(b.rows[0]?.avgDurationMs).toBeCloseTo(2503.5, 9);
    expect(b.rows[0]?.p95DurationMs).toBeCloseTo(4750.35, 9);
  });

  it("rejects bad pages and orders", async () => {
    const order = { field: "TOTAL", direction: "desc" } as const;
    for (const page of [
      { offset: 0, limit: 0 },
      { offset: 0, limit: 101 },
      { offset: -1, limit: 10 },
      { offset: 0.5, limit: 10 },
    ]) {
      await expect(workflowStatsPage(scopeToTenant(t.db, A), {}, order, page)).rejects.toBeInstanceOf(BadUserInputError);
    }
    const bad = { field: "NAME", direction: "desc" } as unknown as typeof order;
    await expect(workflowStatsPage(scopeToTenant(t.db, A), {}, bad, { offset: 0, limit: 1 })).rejects.toBeInstanceOf(
      BadUserInputError,
    );
  });
});
