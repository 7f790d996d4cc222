// The engine end to end: runs started through the API, executed by the in-process worker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, expectGapless, startRun, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

describe("a run", () => {
  it("executes batches in order, steps of a batch in parallel, with templates and outputs", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "greet", type: "transform", config: { output: { text: "hello {{input.name}}", n: "{{input.n}}" } } },
        { id: "slowA", type: "delay", dependsOn: ["greet"], config: { ms: 300 } },
        { id: "slowB", type: "delay", dependsOn: ["greet"], config: { ms: 300 } },
        { id: "note", type: "log", dependsOn: ["greet"], config: { message: "{{steps.greet.output.text}} from {{workflow.name}}" } },
        { id: "sum", type: "transform", dependsOn: ["slowA", "slowB"], config: { output: "{{steps.greet.output.n}}" } },
      ],
    });
    const id = await startRunId(app, workflowId, { name: "Ada", n: 42 });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("COMPLETED");
    const steps = stepsByKey(run);
    expect(steps.greet?.output).toEqual({ text: "hello Ada", n: 42 });
    expect(steps.greet?.input).toEqual({ output: { text: "hello Ada", n: 42 } });
    expect(steps.sum?.output).toBe(42);
    expect(run.batches.edges.map((b) => b.node.steps.edges.map((s) => s.node.key))).toEqual([
      ["greet"],
      ["slowA", "slowB", "note"],
      ["sum"],
    ]);
    // Parallel: each delay started before the other finished.
    const a = steps.slowA as { startedAt: string; completedAt: string };
    const b = steps.slowB as { startedAt: string; completedAt: string };
    expect(Date.parse(a.startedAt)).toBeLessThan(Date.parse(b.completedAt));
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.completedAt));
    expect(run.progress).toMatchObject({ totalSteps: 5, completedSteps: 5, percent: 100 });
    expectGapless(run);
    const types = run.events.edges.map((e) => e.node.type);
    expect(types[0]).toBe("EXECUTION_QUEUED");
    expect(types[1]).toBe("EXECUTION_STARTED");
    expect(types.at(-1)).toBe("EXECUTION_COMPLETED");
    expect(types.filter((t) => t === "STEP_COMPLETED")).toHaveLength(5);
    expect(types.filter((t) => t === "BATCH_COMPLETED")).toHaveLength(3);
  });

  it("fails on a critical failure: running siblings and later steps are cancelled", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "boom", type: "fail", config: { message: "card declined", code: "DECLINED" } },
        { id: "sibling", type: "delay", config: { ms: 4000 } },
        { id: "later", type: "log", dependsOn: ["boom"], config: { message: "never" } },
      ],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId));
    expect(run.status).toBe("FAILED");
    const steps = stepsByKey(run);
    expect(steps.boom).toMatchObject({ status: "FAILED", errorCode: "DECLINED", error: "card declined" });
    expect(steps.sibling?.status).toBe("CANCELLED");
    expect(steps.later?.status).toBe("CANCELLED");
    expect(run.error).toMatchObject({ code: "STEP_FAILED", stepId: steps.boom?.id });
    expect(Date.parse(run.completedAt as string) - Date.parse(run.startedAt as string)).toBeLessThan(4000);
    expectGapless(run);
  });

  it("completes despite a non-critical failure, which stays visible", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "optional", type: "fail", critical: false, config: { message: "nice to have" } },
        { id: "after", type: "log", dependsOn: ["optional"], config: { message: "still runs" } },
      ],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId));
    expect(run.status).toBe("COMPLETED");
    expect(run.progress).toMatchObject({ failedSteps: 1, completedSteps: 1 });
    expect(run.events.edges.some((e) => e.node.type === "STEP_FAILED")).toBe(true);
  });

  it("skips a step whose `when` is false, and steps whose dependencies were all skipped", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "start", type: "log", config: { message: "go" } },
        {
          id: "vip",
          type: "log",
          dependsOn: ["start"],
          when: { logic: "AND", rules: [{ field: "input.total", operator: ">", value: 1000 }] },
          config: { message: "big" },
        },
        { id: "thank", type: "log", dependsOn: ["vip"], config: { message: "thanks" } },
      ],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId, { total: 5 }));
    expect(run.status).toBe("COMPLETED");
    const steps = stepsByKey(run);
    expect(steps.vip).toMatchObject({ status: "SKIPPED", branchTaken: "else" });
    expect(steps.thank).toMatchObject({ status: "SKIPPED", branchTaken: null });
    const big = await waitForRun(app, await startRunId(app, workflowId, { total: 5000 }));
    expect(stepsByKey(big).vip).toMatchObject({ status: "COMPLETED", branchTaken: "then" });
    expect(stepsByKey(big).thank?.status).toBe("COMPLETED");
  });

  it("fails a step whose template names a missing variable, never rendering it empty", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "mail", type: "log", config: { message: "to {{input.user.email}}" } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId, { user: {} }));
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).mail).toMatchObject({ status: "FAILED", errorCode: "TEMPLATE_MISSING_VARIABLE" });
    expect(stepsByKey(run).mail?.error).toContain("input.user.email");
  });

  it("completes at once without running a step when trigger conditions do not pass", async () => {
    const workflowId = await createWorkflow(app, {
      trigger: { conditions: { logic: "AND", rules: [{ field: "country", operator: "in", value: ["DE", "FR"] }] } },
      steps: [{ id: "only", type: "log", config: { message: "x" } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId, { country: "US" }));
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toMatchObject({ conditionsPassed: false });
    expect(stepsByKey(run).only?.status).toBe("SKIPPED");
    expect(stepsByKey(run).only?.attempt).toBe(0);
  });

  it("times out as a whole when the run exceeds timeoutMs", async () => {
    const workflowId = await createWorkflow(app, {
      timeoutMs: 200,
      steps: [{ id: "wait", type: "delay", config: { ms: 4000 } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId));
    expect(run.status).toBe("TIMED_OUT");
    expect(run.error?.code).toBe("TIMEOUT");
    expect(stepsByKey(run).wait?.status).toBe("CANCELLED");
    expectGapless(run);
  });

  it("times out on time while a long delay sleeps outside the worker", async () => {
    const workflowId = await createWorkflow(app, {
      timeoutMs: 500,
      steps: [{ id: "nap", type: "delay", config: { ms: 60_000 } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId), undefined, 10_000);
    expect(run.status).toBe("TIMED_OUT");
    expect(Date.parse(run.completedAt as string) - Date.parse(run.startedAt as string)).toBeLessThan(5_000);
    expect(stepsByKey(run).nap?.status).toBe("CANCELLED");
  });

  it("fails a step that exceeds its own timeoutMs with STEP_TIMEOUT", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "wait", type: "delay", timeoutMs: 100, config: { ms: 3000 } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId));
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).wait).toMatchObject({ status: "FAILED", errorCode: "STEP_TIMEOUT" });
  });
});

const UpdateWorkflow = graphql(`
  mutation EngineUpdateWorkflow($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) { __typename ... on Error { code message } }
  }
`);

describe("startExecution", () => {
  // The engine keeps the workflows it starts in a cache; the start itself checks that the cached
  // version is still current and the workflow still active.
  it("runs the version current at the start and refuses a workflow deactivated since the last start", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "v", type: "transform", config: { output: "one" } }] });
    const first = await waitForRun(app, await startRunId(app, workflowId));
    expect(stepsByKey(first).v?.output).toBe("one");
    const updated = await app.query(UpdateWorkflow, {
      input: { id: workflowId, definition: { steps: [{ id: "v", type: "transform", config: { output: "two" } }] } },
    });
    expect(updated.updateWorkflow.__typename).toBe("UpdateWorkflowSuccess");
    const second = await waitForRun(app, await startRunId(app, workflowId));
    expect(stepsByKey(second).v?.output).toBe("two");

    await app.query(UpdateWorkflow, { input: { id: workflowId, isActive: false } });
    expect(await startRun(app, workflowId)).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    await app.query(UpdateWorkflow, { input: { id: workflowId, isActive: true } });
    expect((await startRun(app, workflowId)).__typename).toBe("StartExecutionSuccess");
  });

  it("returns the existing run for a repeated idempotencyKey", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "log", config: { message: "x" } }] });
    const [first, second] = await Promise.all([
      startRun(app, workflowId, {}, "order-17"),
      startRun(app, workflowId, {}, "order-17"),
    ]);
    expect(first?.__typename).toBe("StartExecutionSuccess");
    expect(second?.__typename).toBe("StartExecutionSuccess");
    const ids = [first, second].map((r) => (r?.__typename === "StartExecutionSuccess" ? r.execution.id : null));
    expect(ids[0]).toBe(ids[1]);
  });

  it("refuses an inactive workflow with a typed InvalidState error", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "log", config: { message: "x" } }] }, { isActive: false });
    expect(await startRun(app, workflowId)).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
  });
});
