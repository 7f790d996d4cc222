// The execution rollup equals a direct count of the rows after a mix of runs — completed, failed
// with automatic and manual retries, cancelled while queued and while running, deleted — run by
// two workers at once (the in-process one and a worker process), so that group commits of both
// change the same workflow's counts on the same day concurrently. Checked with part of the deltas
// folded and the rest not, and again once everything is folded (then also against a rebuild).
import type { ExecutionStatus, Prisma, TriggerSource } from "@prisma/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopeToTenant } from "../../src/db/tenant-scope.ts";
import { createPgStore } from "../../src/engine/store/pg-store.ts";
import { REBUILD_ROLLUP_SQL } from "../../src/engine/store/rollup.ts";
import { createSqlRunner } from "../../src/engine/store/sql.ts";
import type { SystemStore } from "../../src/engine/store/store.ts";
import { jobSql } from "../../src/jobs/queue.ts";
import { type CountFilter, rollupCount } from "../../src/read/rollup-count.ts";
import { decodeIdOf } from "../../src/schema/global-id.ts";
import { failingSteps, statsSummaries } from "../../src/services/stats.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";

const Cancel = graphql(`
  mutation RollupCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) { __typename }
  }
`);
const Retry = graphql(`
  mutation RollupRetry($input: RetryExecutionInput!) {
    retryExecution(input: $input) { __typename ... on RetryExecutionSuccess { execution { id } } }
  }
`);
const Delete = graphql(`
  mutation RollupDelete($input: DeleteExecutionInput!) {
    deleteExecution(input: $input) { __typename }
  }
`);

let app: TestApp;
let fleet: WorkerFleet;
let pool: pg.Pool;
let store: SystemStore;
let tenantId: string;
const workflows: Record<"ok" | "failing" | "slow", string> = { ok: "", failing: "", slow: "" };

const FINISHED: ExecutionStatus[] = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];

async function quiet(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await app.database.db.execution.count({
      where: { OR: [{ status: { notIn: FINISHED } }, { nextRetryAt: { not: null } }] },
    });
    if (open === 0) return;
    if (Date.now() > deadline) throw new Error(`${open} runs still open`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  // No sweeps: nothing folds but this file, so that reads meet folded and unfolded deltas alike.
  const env = { WORKER_CONCURRENCY: "16", ENGINE_SWEEP_INTERVAL_MS: "3600000" };
  app = await startTestApp(env);
  fleet = createWorkerFleet(app.database.url, env);
  await fleet.start("B");
  pool = new pg.Pool({ connectionString: app.database.url, max: 2 });
  store = createPgStore({ sql: createSqlRunner(pool), jobs: jobSql });
  tenantId = (await app.database.db.tenant.findUniqueOrThrow({ where: { slug: "dev" } })).id;
  workflows.ok = await createWorkflow(app, {
    steps: [
      { id: "a", type: "transform", config: { output: 1 } },
      { id: "b", type: "log", dependsOn: ["a"], config: { message: "done" } },
    ],
  });
  workflows.failing = await createWorkflow(app, {
    retry: { maxAttempts: 2, backoffMs: 20 },
    steps: [{ id: "f", type: "fail", config: { message: "no", retryable: true } }],
  });
  workflows.slow = await createWorkflow(app, { steps: [{ id: "wait", type: "delay", config: { ms: 60_000 } }] });

  const start = (workflow: keyof typeof workflows, n: number) =>
    Promise.all(Array.from({ length: n }, () => startRunId(app, workflows[workflow])));
  const [, failing, slow] = await Promise.all([start("ok", 60), start("failing", 12), start("slow", 6)]);
  // Cancelled at once (most while still queued), and cancelled while their delay runs.
  const queued = await start("slow", 4);
  await Promise.all(queued.map((id) => app.query(Cancel, { input: { id } })));
  await Promise.all(slow.map((id) => waitForRun(app, id, (run) => stepsByKey(run).wait?.status === "RUNNING")));
  await Promise.all(slow.map((id) => app.query(Cancel, { input: { id } })));
  await quiet();
  await store.compactRollup(100_000); // what a worker's sweep does; the changes below stay unfolded
  // Manual retries of failed runs (they fail again), and a few finished runs deleted.
  const retried = await Promise.all(
    failing.slice(0, 3).map(async (id) => {
      const { retryExecution } = await app.query(Retry, { input: { id } });
      if (retryExecution.__typename !== "RetryExecutionSuccess") throw new Error(retryExecution.__typename);
      return retryExecution.execution.id;
    }),
  );
  await quiet();
  for (const id of [...retried.slice(0, 1), ...failing.slice(5, 7), ...slow.slice(0, 1)]) {
    expect((await app.query(Delete, { input: { id } })).deleteExecution.__typename).toBe("DeleteExecutionSuccess");
  }
}, 180_000);

afterAll(async () => {
  await pool?.end();
  await fleet?.stop();
  await app?.stop();
});

const today = () => new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);

function filters(): [string, CountFilter][] {
  const day = today();
  const wf = (key: keyof typeof workflows) => decodeIdOf("Workflow", workflows[key]);
  return [
    ["everything", {}],
    ["one workflow", { workflowId: wf("failing") }],
    ["statuses", { status: ["FAILED", "CANCELLED"] }],
    ["no status", { status: [] }],
    ["trigger source", { triggerSource: ["RETRY"] }],
    ["workflow, status and source", { workflowId: wf("failing"), status: ["FAILED"], triggerSource: ["MANUAL"] }],
    ["whole days", { createdAfter: new Date(day.getTime() - 86_400_000), createdBefore: new Date(day.getTime() + 86_400_000) }],
    ["a partial day", { createdAfter: new Date(Date.now() - 60 * 60_000) }],
    ["partial days either side", { createdAfter: new Date(day.getTime() - 3_600_000), createdBefore: new Date(Date.now() + 60_000) }],
    ["before a whole day", { createdBefore: new Date(day.getTime() + 86_400_000), status: ["COMPLETED"] }],
    ["an empty range", { createdAfter: new Date(Date.now() + 60_000), createdBefore: new Date(Date.now() - 60_000) }],
  ];
}

function where(filter: CountFilter): Prisma.ExecutionWhereInput {
  return {
    tenantId,
    ...(filter.workflowId ? { workflowId: filter.workflowId } : {}),
    ...(filter.status ? { status: { in: filter.status as ExecutionStatus[] } } : {}),
    ...(filter.triggerSource ? { triggerSource: { in: filter.triggerSource as TriggerSource[] } } : {}),
    createdAt: {
      ...(filter.createdAfter ? { gte: filter.createdAfter } : {}),
      ...(filter.createdBefore ? { lt: filter.createdBefore } : {}),
    },
  };
}

async function expectCountsExact(): Promise<void> {
  const db = app.database.db;
  for (const [what, filter] of filters()) {
    const direct = await db.execution.count({ where: where(filter) });
    expect({ what, count: await rollupCount(db, tenantId, filter) }).toEqual({ what, count: direct });
  }
  // failingSteps without a range reads the step rollup; with one that covers everything, the steps.
  const scoped = scopeToTenant(db, tenantId);
  const counts = (rows: Awaited<ReturnType<typeof failingSteps>>) =>
    rows.map(({ type, key, total, failed, avgDurationMs }) => ({ type, key, total, failed, avgDurationMs }));
  const fromRollup = await failingSteps(scoped, {}, 100);
  expect(fromRollup.length).toBeGreaterThan(0);
  expect(counts(fromRollup)).toEqual(counts(await failingSteps(scoped, { from: new Date(0) }, 100)));
  const [all] = await statsSummaries(scopeToTenant(db, tenantId), [{}]);
  const byStatus = await db.execution.groupBy({ by: ["status"], where: { tenantId }, _count: true });
  expect(all?.total).toBe(await db.execution.count({ where: { tenantId } }));
  for (const { status, _count } of byStatus) {
    expect(all?.byStatus.find((s) => s.status === status)?.count).toBe(_count);
  }
}

describe("the execution rollup", () => {
  it("ran the mix it claims to", async () => {
    const db = app.database.db;
    const count = (status: ExecutionStatus, triggerSource?: TriggerSource) =>
      db.execution.count({ where: { tenantId, status, ...(triggerSource ? { triggerSource } : {}) } });
    expect(await count("COMPLETED")).toBe(60);
    expect(await count("CANCELLED")).toBe(10 - 1);
    expect(await count("FAILED", "RETRY")).toBeGreaterThan(0);
    expect(await db.execution.count({ where: { tenantId, leaseOwner: { not: null } } })).toBe(0);
  });

  it("counts exactly with the deltas as the workers left them", async () => {
    expect(await app.database.db.executionRollupDelta.count()).toBeGreaterThan(0);
    expect(await app.database.db.executionDailyRollup.count()).toBeGreaterThan(0);
    await expectCountsExact();
  });

  it("counts exactly once everything is folded, and the folded rollups equal a rebuild", async () => {
    const db = app.database.db;
    // Another worker may be folding at this moment (then this folds 0): wait until nothing is left.
    for (;;) {
      await store.compactRollup(10_000);
      if ((await db.executionRollupDelta.count()) + (await db.stepRollupDelta.count()) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expectCountsExact();
    const folded = await rollupTables(db);
    for (const statement of REBUILD_ROLLUP_SQL.split(";").map((s) => s.trim()).filter(Boolean)) {
      await db.$executeRawUnsafe(statement);
    }
    expect(folded).toEqual(await rollupTables(db));
  });

  it("drops the deltas of a deleted workflow when folding (they have no foreign key)", async () => {
    const db = app.database.db;
    const gone = "00000000-0000-4000-8000-00000000dead";
    await db.executionRollupDelta.create({
      data: { tenantId, workflowId: gone, day: new Date("2026-01-01"), status: "COMPLETED", triggerSource: "API", delta: 1, bucket: -1 },
    });
    await db.stepRollupDelta.create({
      data: { tenantId, workflowId: gone, type: "log", key: "k", status: "COMPLETED", delta: 1, bucket: -1 },
    });
    const before = await rollupTables(db);
    for (;;) {
      await store.compactRollup(10_000);
      if ((await db.executionRollupDelta.count()) + (await db.stepRollupDelta.count()) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await rollupTables(db)).toEqual(before);
  });
});

/** The rollups, rows that count nothing left out (folding may leave zeros a rebuild has not). */
async function rollupTables(db: TestApp["database"]["db"]) {
  const daily = await db.executionDailyRollup.findMany({
    where: { OR: [{ count: { not: 0 } }, { durationCount: { not: 0 } }] },
    orderBy: [{ day: "asc" }, { workflowId: "asc" }, { status: "asc" }, { triggerSource: "asc" }],
  });
  const total = await db.executionTotalRollup.findMany({
    where: { count: { not: 0 } },
    orderBy: [{ workflowId: "asc" }, { status: "asc" }, { triggerSource: "asc" }, { bucket: "asc" }],
  });
  const steps = await db.stepTotalRollup.findMany({
    where: { count: { not: 0 } },
    orderBy: [{ workflowId: "asc" }, { type: "asc" }, { key: "asc" }, { status: "asc" }, { bucket: "asc" }],
  });
  return { daily, total, steps };
}
