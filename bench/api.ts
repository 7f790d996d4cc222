// The few GraphQL operations the benchmarks send (plain strings: bench is not codegen'd).
import type { BenchApp } from "./harness.ts";

const CREATE_WORKFLOW = `mutation BenchCreateWorkflow($input: CreateWorkflowInput!) {
  createWorkflow(input: $input) { __typename ... on CreateWorkflowSuccess { workflow { id } } ... on Error { code message } }
}`;
const START_EXECUTION = `mutation BenchStartExecution($input: StartExecutionInput!) {
  startExecution(input: $input) { __typename ... on StartExecutionSuccess { execution { id } } ... on Error { code message } }
}`;

type CreateWorkflowData = { createWorkflow: { __typename: string; workflow?: { id: string } } };
type StartData = { startExecution: { __typename: string; execution?: { id: string } } };

/** Creates a workflow through the API; returns its global ID and its row id. */
export async function createBenchWorkflow(bench: BenchApp, name: string, definition: unknown) {
  const { createWorkflow } = await bench.graphql<CreateWorkflowData>(CREATE_WORKFLOW, { input: { name, definition } });
  if (!createWorkflow.workflow) throw new Error(`createWorkflow: ${JSON.stringify(createWorkflow)}`);
  const row = await bench.pg.query<{ id: string }>(`SELECT id FROM "Workflow" WHERE name = $1`, [name]);
  const id = row.rows[0]?.id;
  if (!id) throw new Error(`workflow ${name} is not in the database`);
  return { globalId: createWorkflow.workflow.id, id };
}

/** Starts a run through the startExecution mutation; returns the execution's global ID. */
export async function startBenchRun(bench: BenchApp, workflowId: string, input: unknown): Promise<string> {
  const { startExecution } = await bench.graphql<StartData>(START_EXECUTION, { input: { workflowId, input } });
  if (!startExecution.execution) throw new Error(`startExecution: ${JSON.stringify(startExecution)}`);
  return startExecution.execution.id;
}

/** The row id inside a global ID ("Execution:<uuid>", base64url). */
export function rowId(globalId: string): string {
  const decoded = Buffer.from(globalId, "base64url").toString("utf8");
  const id = decoded.slice(decoded.indexOf(":") + 1);
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`not a global ID: ${globalId}`);
  return id;
}

/** The steps of a workflow's runs that COMPLETED, and when its last run ended. */
export async function completedSteps(bench: BenchApp, workflowId: string): Promise<{ last: Date | null; steps: number }> {
  const { rows } = await bench.pg.query<{ last: Date | null; steps: number }>(
    `SELECT max(e."completedAt") AS last,
            (SELECT count(*)::int FROM "Step" s JOIN "Execution" x ON x.id = s."executionId"
             WHERE x."workflowId" = $1 AND s.status = 'COMPLETED') AS steps
     FROM "Execution" e WHERE e."workflowId" = $1`,
    [workflowId],
  );
  return { last: rows[0]?.last ?? null, steps: rows[0]?.steps ?? 0 };
}
