// Turns a simulated execution into table rows. Ids are made here (not by the database) so that
// steps can point at their batch and events at their step before anything is inserted.
import { randomUUID } from "node:crypto";
import type { Prisma } from "@prisma/client";
import type { Simulation } from "./timeline.ts";

export type SeedRows = {
  workflows: Prisma.WorkflowCreateManyInput[];
  workflowVersions: Prisma.WorkflowVersionCreateManyInput[];
  executions: Prisma.ExecutionCreateManyInput[];
  batches: Prisma.BatchCreateManyInput[];
  steps: Prisma.StepCreateManyInput[];
  events: Prisma.ExecutionEventCreateManyInput[];
  logs: Prisma.LogEntryCreateManyInput[];
};

export type ExecutionFacts = Omit<
  Prisma.ExecutionCreateManyInput,
  "id" | "status" | "createdAt" | "startedAt" | "completedAt" | "durationMs" | "lastEventSequence" | "output"
> & { tenantId: string };

const span = (start: number | undefined, end: number | undefined) =>
  start !== undefined && end !== undefined ? end - start : undefined;

/**
 * Appends the rows of one execution to `out` and returns its Execution row. `createdAt` (epoch ms)
 * anchors the simulation's relative times.
 */
export function appendExecution(
  out: SeedRows,
  facts: ExecutionFacts,
  createdAt: number,
  sim: Simulation,
): Prisma.ExecutionCreateManyInput {
  const { tenantId } = facts;
  const executionId = randomUUID();
  const date = (offset: number | undefined) => (offset === undefined ? undefined : new Date(createdAt + offset));

  const batchIds = sim.batches.map((batch, index) => {
    const id = randomUUID();
    out.batches.push({
      id,
      tenantId,
      executionId,
      index,
      status: batch.status,
      startedAt: date(batch.startedAt),
      completedAt: date(batch.completedAt),
      durationMs: span(batch.startedAt, batch.completedAt),
    });
    return id;
  });

  const stepIds = sim.steps.map((step, index) => {
    const id = randomUUID();
    out.steps.push({
      id,
      tenantId,
      executionId,
      batchId: batchIds[step.batch] as string,
      key: step.def.id,
      name: step.def.name ?? step.def.id,
      type: step.def.type,
      index,
      status: step.status,
      critical: step.def.critical,
      attempt: step.attempt,
      workerLosses: 0,
      input: step.input as Prisma.InputJsonValue | undefined,
      output: step.output as Prisma.InputJsonValue | undefined,
      error: step.error?.message,
      errorCode: step.error?.code,
      branchTaken: step.branchTaken,
      startedAt: date(step.startedAt),
      completedAt: date(step.completedAt),
      durationMs: span(step.startedAt, step.completedAt),
    });
    return id;
  });

  sim.events.forEach((event, i) => {
    out.events.push({
      id: randomUUID(),
      tenantId,
      executionId,
      sequence: i + 1,
      type: event.type,
      at: new Date(createdAt + event.at),
      stepId: event.step === undefined ? undefined : stepIds[event.step],
      batchId: event.batch === undefined ? undefined : batchIds[event.batch],
      executionStatus: event.executionStatus,
      data: event.data as Prisma.InputJsonValue | undefined,
    });
  });

  for (const log of sim.logs) {
    out.logs.push({
      id: randomUUID(),
      tenantId,
      executionId,
      stepId: stepIds[log.step],
      at: new Date(createdAt + log.at),
      level: log.level,
      message: log.message,
    });
  }

  const execution: Prisma.ExecutionCreateManyInput = {
    ...facts,
    id: executionId,
    status: sim.status,
    output: sim.output as Prisma.InputJsonValue | undefined,
    errorMessage: sim.error?.message,
    errorCode: sim.error?.code,
    errorStepId: sim.error?.step === undefined ? undefined : stepIds[sim.error.step],
    lastEventSequence: sim.events.length,
    createdAt: new Date(createdAt),
    startedAt: date(sim.startedAt),
    completedAt: date(sim.completedAt),
    durationMs: span(sim.startedAt, sim.completedAt),
  };
  out.executions.push(execution);
  return execution;
}
