// Helpers for tests that run workflows through the real API and the in-process worker.
import { expect } from "vitest";
import { graphql } from "../generated/gql.ts";
import type { TestApp } from "./app.ts";

const CreateWorkflow = graphql(`
  mutation EngineCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id } }
      ... on Error { code message }
    }
  }
`);

const StartExecution = graphql(`
  mutation EngineStartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      __typename
      ... on StartExecutionSuccess { execution { id status } }
      ... on Error { code message }
    }
  }
`);

export const ExecutionDetail = graphql(`
  query EngineExecution($id: ID!) {
    execution(id: $id) {
      id status attempt output startedAt completedAt
      error { message code stepId }
      retryOf { id }
      progress { totalSteps completedSteps failedSteps skippedSteps percent }
      batches(first: 100) { edges { node { index status steps(first: 100) { edges { node { key } } } } } }
      steps(first: 100) {
        edges { node { id key status attempt input output error errorCode branchTaken startedAt completedAt } }
      }
      events(first: 100) { totalCount edges { node { sequence type executionStatus step { key } } } }
    }
  }
`);

let counter = 0;

export async function createWorkflow(app: TestApp, definition: unknown, options: { isActive?: boolean } = {}) {
  counter += 1;
  const { createWorkflow } = await app.query(CreateWorkflow, {
    input: { name: `wf-${process.pid}-${counter}`, definition, isActive: options.isActive },
  });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow.id;
}

export async function startRun(app: TestApp, workflowId: string, input: unknown = {}, idempotencyKey?: string) {
  const { startExecution } = await app.query(StartExecution, { input: { workflowId, input, idempotencyKey } });
  return startExecution;
}

export async function startRunId(app: TestApp, workflowId: string, input: unknown = {}) {
  const result = await startRun(app, workflowId, input);
  if (result.__typename !== "StartExecutionSuccess") throw new Error(JSON.stringify(result));
  return result.execution.id;
}

export type Detail = NonNullable<Awaited<ReturnType<typeof detail>>>;

export async function detail(app: TestApp, id: string) {
  const { execution } = await app.query(ExecutionDetail, { id });
  return execution;
}

/** Polls until `predicate` holds (the engine runs in the background); fails after `timeoutMs`. */
export async function waitForRun(
  app: TestApp,
  id: string,
  predicate: (run: Detail) => boolean = (run) => ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"].includes(run.status),
  timeoutMs = 20_000,
): Promise<Detail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await detail(app, id);
    if (run && predicate(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} did not reach the condition: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function stepsByKey(run: Detail) {
  return Object.fromEntries(run.steps.edges.map((e) => [e.node.key, e.node]));
}

/** Events are numbered 1..N with no gap, in order. */
export function expectGapless(run: Detail) {
  const sequences = run.events.edges.map((e) => e.node.sequence);
  expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
  expect(run.events.totalCount).toBe(sequences.length);
}
