// Schedules (README "Schedules"): trigger.schedule is validated at save and shown as
// Workflow.schedule / nextRunAt; deactivating or removing it stops it; every tick starts exactly one
// SCHEDULE run however many worker processes poll; ticks missed while every worker was down are
// run once on recovery.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCancellationRegistry } from "../../src/engine/cancellations.ts";
import { createLifecycle } from "../../src/engine/lifecycle.ts";
import { createPgStore } from "../../src/engine/store/pg-store.ts";
import { createSqlRunner } from "../../src/engine/store/sql.ts";
import { jobSql } from "../../src/jobs/queue.ts";
import { createScheduler, type Scheduler } from "../../src/jobs/scheduler.ts";
import { decodeIdOf } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow } from "../support/engine.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";

const WorkflowSchedule = graphql(`
  query WorkflowSchedule($id: ID!) {
    workflow(id: $id) { id isActive schedule nextRunAt }
  }
`);

const UpdateSchedule = graphql(`
  mutation UpdateSchedule($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) {
      __typename
      ... on UpdateWorkflowSuccess { workflow { id isActive schedule nextRunAt } }
      ... on Error { code message }
    }
  }
`);

const SaveScheduled = graphql(`
  mutation SaveScheduled($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on ValidationError { issues { path message } }
    }
  }
`);

const steps = [{ id: "a", type: "log", config: { message: "tick {{input.scheduledAt}}" } }];
const everyMinute = { trigger: { schedule: { cron: "* * * * *", timezone: "Europe/Berlin" } }, steps };
// Fires on 1 January only: a test never reaches a tick of its own; the due ones are set in SQL.
const yearly = { trigger: { schedule: { cron: "0 0 1 1 *" } }, steps };

async function runsOf(app: TestApp, workflowId: string) {
  return app.database.db.execution.findMany({
    where: { workflowId },
    select: { triggerSource: true, idempotencyKey: true, input: true },
    orderBy: { createdAt: "asc" },
  });
}

const setNextRunAt = (app: TestApp, workflowId: string, at: Date) =>
  app.database.db.$executeRaw`UPDATE "Workflow" SET "nextRunAt" = ${at} WHERE id = ${workflowId}::uuid`;

describe("Workflow.schedule and nextRunAt through the API", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ RUN_WORKER: "false" });
  });
  afterAll(() => app?.stop());

  it("shows the schedule and its next tick; deactivating or removing the schedule stops it", async () => {
    const id = await createWorkflow(app, everyMinute);
    const { workflow } = await app.query(WorkflowSchedule, { id });
    expect(workflow?.schedule).toEqual({ cron: "* * * * *", timezone: "Europe/Berlin" });
    const next = Date.parse(workflow?.nextRunAt as string);
    expect(next).toBeGreaterThan(Date.now() - 1000);
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(new Date(next).getUTCSeconds()).toBe(0);

    const off = await app.query(UpdateSchedule, { input: { id, isActive: false } });
    expect(off.updateWorkflow).toMatchObject({ workflow: { isActive: false, nextRunAt: null } });
    const on = await app.query(UpdateSchedule, { input: { id, isActive: true } });
    expect(on.updateWorkflow).toMatchObject({ workflow: { isActive: true, nextRunAt: expect.any(String) } });
    const removed = await app.query(UpdateSchedule, { input: { id, definition: { steps } } });
    expect(removed.updateWorkflow).toMatchObject({ workflow: { schedule: null, nextRunAt: null } });
  });

  it("refuses an invalid cron or time zone at save, with the path, writing nothing", async () => {
    const before = await app.database.db.workflow.count();
    const { createWorkflow: saved } = await app.query(SaveScheduled, {
      input: { name: "bad-schedule", definition: { trigger: { schedule: { cron: "*/5 * * *", timezone: "Nowhere/Land" } }, steps } },
    });
    expect(saved).toMatchObject({
      __typename: "ValidationError",
      issues: [
        { path: ["definition", "trigger", "schedule", "cron"], message: expect.stringContaining("must have 5 fields") },
        { path: ["definition", "trigger", "schedule", "timezone"], message: expect.stringContaining("unknown time zone") },
      ],
    });
    expect(await app.database.db.workflow.count()).toBe(before);
  });

  it("refuses a schedule input that is not an object or that sets scheduledAt", async () => {
    const save = async (input: unknown) =>
      (await app.query(SaveScheduled, {
        input: { name: `bad-input-${JSON.stringify(input).length}`, definition: { trigger: { schedule: { cron: "0 0 * * *", input } }, steps } },
      })).createWorkflow;
    for (const input of [["not", "an", "object"], { scheduledAt: "mine" }]) {
      expect(await save(input)).toMatchObject({
        __typename: "ValidationError",
        issues: [{ path: ["definition", "trigger", "schedule", "input"] }],
      });
    }
  });
});

describe("two worker processes polling the same schedules", () => {
  let app: TestApp;
  let fleet: WorkerFleet;
  beforeAll(async () => {
    app = await startTestApp({ RUN_WORKER: "false" });
    fleet = createWorkerFleet(app.database.url, { SCHEDULE_POLL_MS: "50" });
  });
  afterAll(async () => {
    await fleet?.stop();
    await app?.stop();
  });

  it("start each due tick exactly once, and ticks missed while both were down once", { timeout: 120_000 }, async () => {
    const due = await Promise.all(Array.from({ length: 6 }, () => createWorkflow(app, yearly)));
    const missed = await Promise.all(Array.from({ length: 3 }, () => createWorkflow(app, yearly)));
    const inactive = await createWorkflow(app, yearly, { isActive: false });
    const tick = new Date(Date.now() - 1000);
    // Three yearly ticks missed: every worker was down since three years ago.
    const longAgo = new Date(Date.UTC(new Date().getUTCFullYear() - 3, 0, 1));
    for (const id of due) await setNextRunAt(app, decodeIdOf("Workflow", id), tick);
    for (const id of missed) await setNextRunAt(app, decodeIdOf("Workflow", id), longAgo);
    await setNextRunAt(app, decodeIdOf("Workflow", inactive), tick);

    await Promise.all([fleet.start("A"), fleet.start("B")]);
    const nextYear = Date.UTC(new Date().getUTCFullYear() + 1, 0, 1);
    for (const id of [...due, ...missed]) {
      await expect
        .poll(async () => (await app.query(WorkflowSchedule, { id })).workflow?.nextRunAt, { timeout: 60_000, interval: 100 })
        .toBe(new Date(nextYear).toISOString());
    }
    for (const id of due) {
      expect(await runsOf(app, decodeIdOf("Workflow", id))).toEqual([
        { triggerSource: "SCHEDULE", idempotencyKey: `schedule:${tick.toISOString()}`, input: { scheduledAt: tick.toISOString() } },
      ]);
    }
    for (const id of missed) {
      expect(await runsOf(app, decodeIdOf("Workflow", id))).toEqual([
        { triggerSource: "SCHEDULE", idempotencyKey: `schedule:${longAgo.toISOString()}`, input: { scheduledAt: longAgo.toISOString() } },
      ]);
    }
    expect(await runsOf(app, decodeIdOf("Workflow", inactive))).toEqual([]);
  });
});

describe("schedulers with an injected clock", () => {
  let app: TestApp;
  let pool: pg.Pool;
  let now = 0;
  let schedulers: Scheduler[];
  beforeAll(async () => {
    app = await startTestApp({ RUN_WORKER: "false" });
    pool = new pg.Pool({ connectionString: app.database.url, max: 6 });
    const store = createPgStore({ sql: createSqlRunner(pool), jobs: jobSql });
    const engine = createLifecycle({ store, publish: () => {}, cancellations: createCancellationRegistry(), leaseMs: 5000, now: Date.now });
    // Two schedulers, as two worker processes would run them: no timer, the test polls.
    schedulers = [0, 1].map(() =>
      createScheduler({ db: app.database.db, executions: { engine }, pollMs: 0, now: () => now, onError: () => {} }),
    );
  });
  afterAll(async () => {
    for (const s of schedulers ?? []) await s.stop();
    await pool?.end();
    await app?.stop();
  });

  it("run one execution per tick, polled concurrently, and one for a gap of many ticks", async () => {
    const id = decodeIdOf("Workflow", await createWorkflow(app, everyMinute));
    const t0 = Date.UTC(2026, 5, 1, 12, 0);
    await setNextRunAt(app, id, new Date(t0));
    const pollBoth = () => Promise.all(schedulers.map((s) => s.poll()));
    // Five ticks, each polled by both schedulers at once, several times within its minute.
    for (let minute = 0; minute < 5; minute++) {
      for (const second of [0, 1, 30, 59]) {
        now = t0 + minute * 60_000 + second * 1000;
        await pollBoth();
      }
    }
    const minutes = [0, 1, 2, 3, 4].map((m) => `schedule:${new Date(t0 + m * 60_000).toISOString()}`);
    expect((await runsOf(app, id)).map((r) => r.idempotencyKey)).toEqual(minutes);
    // The clock jumps two hours (every worker was down): one run for the 120 missed ticks.
    now = t0 + 5 * 60_000 + 2 * 3_600_000 + 15_000;
    await pollBoth();
    await pollBoth();
    const runs = await runsOf(app, id);
    expect(runs.map((r) => r.idempotencyKey)).toEqual([...minutes, `schedule:${new Date(t0 + 5 * 60_000).toISOString()}`]);
    expect(runs.every((r) => r.triggerSource === "SCHEDULE")).toBe(true);
    const row = await app.database.db.workflow.findUniqueOrThrow({ where: { id } });
    expect(row.nextRunAt).toEqual(new Date(t0 + 5 * 60_000 + 2 * 3_600_000 + 60_000));
  });

  it("give each tick's run the schedule's input besides scheduledAt", async () => {
    const input = { report: "daily", recipients: ["ops@example.com"], depth: { days: 1 } };
    const id = decodeIdOf(
      "Workflow",
      await createWorkflow(app, { trigger: { schedule: { cron: "*/5 * * * *", input } }, steps }),
    );
    const tick = Date.UTC(2026, 5, 2, 8, 5);
    await setNextRunAt(app, id, new Date(tick));
    now = tick + 1_000;
    await Promise.all(schedulers.map((s) => s.poll()));
    expect(await runsOf(app, id)).toEqual([
      { triggerSource: "SCHEDULE", idempotencyKey: `schedule:${new Date(tick).toISOString()}`, input: { ...input, scheduledAt: new Date(tick).toISOString() } },
    ]);
    const { workflow } = await app.query(WorkflowSchedule, { id: encodeWorkflowId(id) });
    expect(workflow?.schedule).toEqual({ cron: "*/5 * * * *", timezone: "UTC", input });
  });
});

const encodeWorkflowId = (id: string) => Buffer.from(`Workflow:${id}`).toString("base64url");
