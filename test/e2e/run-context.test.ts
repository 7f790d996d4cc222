// The run context (README "Run context"): set_context steps write keys, later steps read them as
// {{context.key}}, Execution.context shows them, each write is a CONTEXT_UPDATED event, and the
// context is size-limited like any payload.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, expectGapless, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";

const ContextOf = graphql(`
  query RunContext($id: ID!) {
    execution(id: $id) { id context events(first: 100) { edges { node { type data step { key } } } } }
  }
`);

const ContextInList = graphql(`
  query RunContextList {
    executions(first: 50) { edges { node { id context } } }
  }
`);

const RetryFromFailed = graphql(`
  mutation RunContextRetry($input: RetryExecutionInput!) {
    retryExecution(input: $input) {
      __typename
      ... on RetryExecutionSuccess { execution { id } }
      ... on Error { code message }
    }
  }
`);

const SaveWorkflow = graphql(`
  mutation RunContextSave($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on ValidationError { issues { path message } }
    }
  }
`);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ ENGINE_MAX_PAYLOAD_BYTES: "4096" });
});
afterAll(() => app?.stop());

describe("set_context and {{context.key}}", () => {
  it("writes keys that later steps read, shown on Execution.context, each write an event", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "remember", type: "set_context", config: { values: { orderId: "{{input.order}}", tries: 1 } } },
        { id: "use", type: "transform", dependsOn: ["remember"], config: { output: "order {{context.orderId}}" } },
        { id: "again", type: "set_context", dependsOn: ["use"], config: { values: { tries: 2, note: "{{steps.use.output}}" } } },
        { id: "last", type: "transform", dependsOn: ["again"], config: { output: "{{context.tries}}" } },
      ],
    });
    const id = await startRunId(app, workflowId, { order: "A-17" });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("COMPLETED");
    expect(stepsByKey(run).use?.output).toBe("order A-17");
    expect(stepsByKey(run).last?.output).toBe(2);
    expectGapless(run);

    const { execution } = await app.query(ContextOf, { id });
    expect(execution?.context).toEqual({ orderId: "A-17", tries: 2, note: "order A-17" });
    const writes = execution?.events.edges.filter((e) => e.node.type === "CONTEXT_UPDATED").map((e) => e.node);
    expect(writes).toEqual([
      { type: "CONTEXT_UPDATED", step: { key: "remember" }, data: { values: { orderId: "A-17", tries: 1 } } },
      { type: "CONTEXT_UPDATED", step: { key: "again" }, data: { values: { tries: 2, note: "order A-17" } } },
    ]);
    // The dashboard's list statement reads the column too.
    const list = await app.query(ContextInList);
    expect(list.executions.edges.find((e) => e.node.id === id)?.node.context).toEqual(execution?.context);
  });

  it("a run that wrote nothing has an empty context; reading a key nobody wrote fails the step", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "read", type: "transform", config: { output: "{{context.missing}}" } }],
    });
    const id = await startRunId(app, workflowId);
    const run = await waitForRun(app, id);
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).read).toMatchObject({ status: "FAILED", errorCode: "TEMPLATE_MISSING_VARIABLE" });
    expect(stepsByKey(run).read?.error).toContain('no step wrote context key "missing" yet');
    expect((await app.query(ContextOf, { id })).execution?.context).toEqual({});
  });

  it("fails the step that would grow the context past ENGINE_MAX_PAYLOAD_BYTES, writing nothing", async () => {
    const big = "x".repeat(2500);
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "one", type: "set_context", config: { values: { a: big } } },
        { id: "two", type: "set_context", dependsOn: ["one"], config: { values: { b: big } } },
      ],
    });
    const id = await startRunId(app, workflowId);
    const run = await waitForRun(app, id);
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).two).toMatchObject({ status: "FAILED", errorCode: "CONTEXT_TOO_LARGE" });
    const { execution } = await app.query(ContextOf, { id });
    expect(execution?.context).toEqual({ a: big });
    expect(execution?.events.edges.filter((e) => e.node.type === "CONTEXT_UPDATED")).toHaveLength(1);
  });

  it("a retry from the failed step keeps what its reused steps wrote", async () => {
    const workflowId = await createWorkflow(app, {
      retry: { maxAttempts: 1 },
      steps: [
        { id: "remember", type: "set_context", config: { values: { orderId: "{{input.order}}" } } },
        { id: "use", type: "transform", dependsOn: ["remember"], config: { output: "{{context.orderId}}" } },
        { id: "boom", type: "fail", dependsOn: ["remember"], config: { message: "still broken" } },
      ],
    });
    const failedId = await startRunId(app, workflowId, { order: "B-2" });
    expect((await waitForRun(app, failedId)).status).toBe("FAILED");
    const { retryExecution } = await app.query(RetryFromFailed, { input: { id: failedId, fromFailedStep: true } });
    if (retryExecution.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(retryExecution));
    const retried = await waitForRun(app, retryExecution.execution.id);
    // "remember" was reused, not run again; "use" still reads the key it wrote.
    expect(stepsByKey(retried).remember).toMatchObject({ status: "COMPLETED", attempt: 0 });
    expect(stepsByKey(retried).use).toMatchObject({ status: "COMPLETED", output: "B-2" });
    expect((await app.query(ContextOf, { id: retried.id })).execution?.context).toEqual({ orderId: "B-2" });
  });

  it("validates set_context's config when the workflow is saved", async () => {
    const { createWorkflow: saved } = await app.query(SaveWorkflow, {
      input: {
        name: "bad-context",
        definition: { steps: [{ id: "s", type: "set_context", config: { values: { "1bad": 1 } } }] },
      },
    });
    expect(saved.__typename).toBe("ValidationError");
    if (saved.__typename !== "ValidationError") return;
    expect(saved.issues).toEqual([
      { path: ["definition", "steps", "0", "config", "values", "1bad"], message: expect.stringContaining("context key") },
    ]);
  });
});
