// pauseExecution and resumeExecution (README "Pause and resume"): a running step finishes and
// nothing new starts; the paused run holds no worker and no job; another worker process resumes
// it where it stopped; a paused run can be cancelled; its time paused does not count against
// timeoutMs; invalid transitions, viewers and other tenants' IDs get typed errors.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";
import { rowId } from "../support/durability.ts";
import { createWorkflow, type Detail, expectGapless, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";
import { runJobsOf } from "../support/queue.ts";
import { openListView, wsClient } from "../support/list-view.ts";
import { subscribeOverWs, waitUntil } from "../support/ws-subscriber.ts";
import { createWorkerFleet, type WorkerFleet } from "../support/workers.ts";

const Pause = graphql(`
  mutation PauseRun($input: PauseExecutionInput!) {
    pauseExecution(input: $input) {
      __typename
      ... on PauseExecutionSuccess { execution { id status } }
      ... on Error { code message }
    }
  }
`);

const Resume = graphql(`
  mutation ResumeRun($input: ResumeExecutionInput!) {
    resumeExecution(input: $input) {
      __typename
      ... on ResumeExecutionSuccess { execution { id status } }
      ... on Error { code message }
    }
  }
`);

const Cancel = graphql(`
  mutation PauseCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) {
      __typename
      ... on CancelExecutionSuccess { execution { id status } }
      ... on Error { code message }
    }
  }
`);

const Updated = graphql(`
  subscription PauseUpdated($id: ID!) {
    executionUpdated(id: $id) { id status }
  }
`);

const Events = graphql(`
  subscription PauseEvents($executionId: ID!) {
    executionEvents(executionId: $executionId) { sequence type executionStatus }
  }
`);

const PausedRuns = graphql(`
  query PausedRuns($workflowId: ID!) {
    workflow(id: $workflowId) {
      executions(first: 10, filter: { status: [PAUSED] }) { totalCount edges { node { id status } } }
      stats { byStatus { status count } }
    }
  }
`);

const types = (run: Detail) => run.events.edges.map((e) => e.node.type);
const startsOf = (run: Detail, key: string) =>
  run.events.edges.filter((e) => e.node.type === "STEP_STARTED" && e.node.step?.key === key).length;

async function leaseOf(app: TestApp, id: string) {
  const row = await app.database.db.execution.findUniqueOrThrow({
    where: { id: rowId(id) },
    select: { status: true, leaseOwner: true, pausedAt: true, pausedMs: true, pauseRequestedAt: true },
  });
  return row;
}

describe("a run paused while a worker process runs a step, resumed by another process", () => {
  let app: TestApp;
  let fleet: WorkerFleet;
  beforeAll(async () => {
    // No worker in this process: worker processes run the jobs, this one only answers the API.
    app = await startTestApp({ RUN_WORKER: "false" });
    fleet = createWorkerFleet(app.database.url, { ENGINE_LEASE_MS: "1500" });
  });
  afterAll(async () => {
    await fleet?.stop();
    await app?.stop();
  });

  let queued = "";
  it("pauses a queued run at once and puts it back in the queue on resume", async () => {
    // No worker process yet: the run waits in the queue.
    const workflowId = await createWorkflow(app, { steps: [{ id: "only", type: "transform", config: { output: 1 } }] });
    queued = await startRunId(app, workflowId);
    expect((await app.query(Pause, { input: { id: queued } })).pauseExecution).toMatchObject({ execution: { status: "PAUSED" } });
    const { resumeExecution } = await app.query(Resume, { input: { id: queued } });
    // It never started, so it is queued again rather than running.
    expect(resumeExecution).toMatchObject({ __typename: "ResumeExecutionSuccess", execution: { status: "PENDING" } });
    expect(await runJobsOf(app.database.db, rowId(queued))).toHaveLength(1);
  });

  it("finishes the running step, starts nothing new, then continues on the other worker", { timeout: 90_000 }, async () => {
    const first = await fleet.start("A");
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "wait", type: "delay", config: { ms: 2500 } },
        { id: "after", type: "transform", dependsOn: ["wait"], config: { output: "{{steps.wait.output.sleptMs}}" } },
      ],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).wait?.status === "RUNNING");

    const { pauseExecution } = await app.query(Pause, { input: { id, reason: "maintenance" } });
    // Worker A holds the run: it is asked to pause and does so once "wait" has finished.
    expect(pauseExecution).toMatchObject({ __typename: "PauseExecutionSuccess", execution: { status: "RUNNING" } });
    const paused = await waitForRun(app, id, (run) => run.status === "PAUSED");
    expect(stepsByKey(paused).wait).toMatchObject({ status: "COMPLETED", attempt: 1 });
    expect(stepsByKey(paused).after).toMatchObject({ status: "PENDING", attempt: 0 });
    expect(startsOf(paused, "after")).toBe(0);
    expect(types(paused).at(-1)).toBe("EXECUTION_PAUSED");
    expect(paused.events.edges.at(-1)?.node.executionStatus).toBe("PAUSED");
    // No worker holds it and no job is queued for it: nothing runs until it is resumed.
    expect(await leaseOf(app, id)).toMatchObject({ status: "PAUSED", leaseOwner: null, pauseRequestedAt: null });
    expect(await runJobsOf(app.database.db, rowId(id))).toEqual([]);

    await first.kill();
    await fleet.start("B");
    const { resumeExecution } = await app.query(Resume, { input: { id } });
    expect(resumeExecution).toMatchObject({ __typename: "ResumeExecutionSuccess", execution: { status: "RUNNING" } });
    const done = await waitForRun(app, id, undefined, 30_000);
    // The run resumed into the queue before any worker ran is run by B as well.
    expect((await waitForRun(app, queued)).status).toBe("COMPLETED");
    expect(done.status).toBe("COMPLETED");
    // "wait" ran once, before the pause; "after" ran on B with its output.
    expect(startsOf(done, "wait")).toBe(1);
    expect(stepsByKey(done).after).toMatchObject({ status: "COMPLETED", output: 2500 });
    const order = types(done);
    expect(order.indexOf("EXECUTION_PAUSED")).toBeLessThan(order.indexOf("EXECUTION_RESUMED"));
    expect(order.lastIndexOf("STEP_COMPLETED")).toBeGreaterThan(order.indexOf("EXECUTION_RESUMED"));
    expectGapless(done);
  });
});

describe("pause, resume and cancel with the worker in process", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  /** A run asleep in a long delay: no worker holds it, so a pause takes effect at once. */
  async function sleepingRun(definition: Record<string, unknown> = {}) {
    const workflowId = await createWorkflow(app, {
      ...definition,
      steps: [
        { id: "nap", type: "delay", config: { ms: 60_000 } },
        { id: "after", type: "log", dependsOn: ["nap"], config: { message: "woke" } },
      ],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).nap?.status === "RUNNING");
    await expect.poll(async () => (await leaseOf(app, id)).leaseOwner, { timeout: 10_000 }).toBeNull();
    return id;
  }

  it("pauses a sleeping run at once, and cancels a paused run", async () => {
    const id = await sleepingRun();
    const { pauseExecution } = await app.query(Pause, { input: { id } });
    expect(pauseExecution).toMatchObject({ __typename: "PauseExecutionSuccess", execution: { status: "PAUSED" } });
    expect((await leaseOf(app, id)).pausedAt).not.toBeNull();

    const { cancelExecution } = await app.query(Cancel, { input: { id, reason: "no longer needed" } });
    expect(cancelExecution).toMatchObject({ __typename: "CancelExecutionSuccess", execution: { status: "CANCELLED" } });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("CANCELLED");
    expect(stepsByKey(run).nap?.status).toBe("CANCELLED");
    expect(stepsByKey(run).after?.status).toBe("CANCELLED");
    expect(types(run).slice(-4)).toEqual(["EXECUTION_PAUSED", "STEP_CANCELLED", "STEP_CANCELLED", "EXECUTION_CANCELLED"]);
    expectGapless(run);
  });

  it("subscriptions, filters and statistics know PAUSED, which is not final", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "nap", type: "delay", config: { ms: 60_000 } }],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).nap?.status === "RUNNING");
    await expect.poll(async () => (await leaseOf(app, id)).leaseOwner, { timeout: 10_000 }).toBeNull();
    const updates = subscribeOverWs(app.url, Updated, { id });
    const events = subscribeOverWs(app.url, Events, { executionId: id });
    const client = wsClient(app);
    // Live list views: RUNNING ones see the run leave and come back, PAUSED ones the reverse.
    const running = await openListView(app, client, { workflowId, status: ["RUNNING"] });
    const paused = await openListView(app, client, { workflowId, status: ["PAUSED"] });
    try {
      await waitUntil("the event log replayed", () => events.data.some((d) => d.executionEvents.type === "STEP_STARTED"));
      await app.query(Pause, { input: { id, reason: "look" } });
      await waitUntil("PAUSED delivered", () => updates.data.some((d) => d.executionUpdated.status === "PAUSED"));
      await waitUntil("EXECUTION_PAUSED delivered", () =>
        events.data.some((d) => d.executionEvents.type === "EXECUTION_PAUSED" && d.executionEvents.executionStatus === "PAUSED"),
      );
      await waitUntil("the RUNNING list view loses it", () => !running.rows.has(id));
      await waitUntil("the PAUSED list view gains it", () => paused.rows.get(id) === "PAUSED");
      const listed = await app.query(PausedRuns, { workflowId });
      expect(listed.workflow?.executions.edges.map((e) => e.node)).toEqual([{ id, status: "PAUSED" }]);
      expect(listed.workflow?.stats.byStatus).toContainEqual({ status: "PAUSED", count: 1 });

      await app.query(Resume, { input: { id } });
      await waitUntil("RUNNING again delivered", () => updates.data.at(-1)?.executionUpdated.status === "RUNNING");
      await waitUntil("EXECUTION_RESUMED delivered", () => events.data.some((d) => d.executionEvents.type === "EXECUTION_RESUMED"));
      await waitUntil("the RUNNING list view has it again", () => running.rows.get(id) === "RUNNING");
      await waitUntil("the PAUSED list view loses it", () => !paused.rows.has(id));
      expect([...running.problems, ...paused.problems]).toEqual([]);
      // Neither stream ended: a paused run is not finished.
      expect([updates.completed, events.completed]).toEqual([false, false]);
      await app.query(Cancel, { input: { id } });
      await waitUntil("the event stream ends with the cancel", () => events.completed);
    } finally {
      running.stop();
      paused.stop();
      await client.dispose();
      await updates.stop();
      await events.stop();
    }
  });

  it("refuses invalid transitions with typed InvalidState errors", async () => {
    const id = await sleepingRun();
    // Resume a running one.
    expect((await app.query(Resume, { input: { id } })).resumeExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    expect((await app.query(Pause, { input: { id } })).pauseExecution).toMatchObject({ execution: { status: "PAUSED" } });
    // Pause a paused one.
    expect((await app.query(Pause, { input: { id } })).pauseExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    await app.query(Cancel, { input: { id } });
    // Pause or resume a finished one.
    expect((await app.query(Pause, { input: { id } })).pauseExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    expect((await app.query(Resume, { input: { id } })).resumeExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    const missing = encodeGlobalId("Execution", randomUUID());
    expect((await app.query(Pause, { input: { id: missing } })).pauseExecution).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect((await app.query(Resume, { input: { id: missing } })).resumeExecution).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
  });

  it("does not count the time paused against the run's timeoutMs", { timeout: 30_000 }, async () => {
    // The delay sleeps (over 5 s, so the worker is given back), the run is paused at once.
    const workflowId = await createWorkflow(app, {
      timeoutMs: 20_000,
      steps: [{ id: "nap", type: "delay", config: { ms: 5_500 } }],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).nap?.status === "RUNNING");
    await expect.poll(async () => (await leaseOf(app, id)).leaseOwner, { timeout: 10_000 }).toBeNull();
    expect((await app.query(Pause, { input: { id } })).pauseExecution).toMatchObject({ execution: { status: "PAUSED" } });
    // As if it had started an hour ago and been paused ever since: an hour past its deadline
    // by the clock, but only seconds of running time.
    await app.database.db.$executeRaw`UPDATE "Execution" SET "startedAt" = "startedAt" - interval '1 hour',
      "pausedAt" = "pausedAt" - interval '1 hour' WHERE id = ${rowId(id)}::uuid`;
    expect((await app.query(Resume, { input: { id } })).resumeExecution).toMatchObject({ execution: { status: "RUNNING" } });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("COMPLETED");
    expect((await leaseOf(app, id)).pausedMs).toBeGreaterThanOrEqual(3_600_000);
    expect(types(run)).toContain("EXECUTION_RESUMED");
  });
});

describe("who may pause and resume", () => {
  let app: TestApp;
  let f: Fixture;
  beforeAll(async () => {
    app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false" });
    f = await createFixture(app.app.db);
  });
  afterAll(() => app?.stop());

  it("a viewer gets FORBIDDEN and nothing changes", async () => {
    const viewer = app.as((await apiKey(app.app.db, f.tenantId, "VIEWER")).authorization);
    const id = encodeGlobalId("Execution", f.executions.e4 as string);
    const before = await app.app.db.execution.findUniqueOrThrow({ where: { id: f.executions.e4 as string } });
    expect((await viewer.query(Pause, { input: { id } })).pauseExecution).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    expect((await viewer.query(Resume, { input: { id } })).resumeExecution).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    expect(await app.app.db.execution.findUniqueOrThrow({ where: { id: f.executions.e4 as string } })).toEqual(before);
  });

  it("another tenant's execution is NOT_FOUND, exactly like a missing one", async () => {
    const other = app.as((await apiKey(app.app.db, f.otherTenantId, "OPERATOR")).authorization);
    const own = app.as((await apiKey(app.app.db, f.tenantId, "OPERATOR")).authorization);
    const foreignId = f.executions.e4 as string;
    const strip = (p: { __typename: string; message?: string }) => ({ ...p, message: p.message?.replace(/"[^"]+"/, "<id>") });
    const ask = async (id: string) => [
      (await other.query(Pause, { input: { id: encodeGlobalId("Execution", id) } })).pauseExecution,
      (await other.query(Resume, { input: { id: encodeGlobalId("Execution", id) } })).resumeExecution,
    ];
    const foreign = (await ask(foreignId)).map(strip);
    expect(foreign).toMatchObject([
      { __typename: "NotFoundError", code: "NOT_FOUND" },
      { __typename: "NotFoundError", code: "NOT_FOUND" },
    ]);
    expect(foreign).toEqual((await ask(randomUUID())).map(strip));
    expect((await app.app.db.execution.findUniqueOrThrow({ where: { id: foreignId } })).status).toBe("RUNNING");
    // Its own tenant may (the fixture's e4 carries a live-looking lease: the pause is requested).
    const paused = await own.query(Pause, { input: { id: encodeGlobalId("Execution", foreignId) } });
    expect(paused.pauseExecution).toMatchObject({ __typename: "PauseExecutionSuccess", execution: { status: "RUNNING" } });
    const row = await app.app.db.execution.findUniqueOrThrow({ where: { id: foreignId } });
    expect(row).toMatchObject({ pauseRequestedAt: expect.any(Date), pausedBy: expect.stringContaining("operator") });
  });
});
