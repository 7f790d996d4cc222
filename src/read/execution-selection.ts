// What a page of executions must carry, decided by the caller (the schema reads it off the GraphQL
// selection): the SQL reads only these columns and sub-objects, and whatever is not here is left
// to the resolvers' own loaders.
import type { StepStatus } from "@prisma/client";

export const EXECUTION_COLUMNS = [
  "workflowId",
  "workflowVersion",
  "status",
  "triggerSource",
  "triggerEvent",
  "input",
  "output",
  "context",
  "errorMessage",
  "errorCode",
  "errorStepId",
  "attempt",
  "retryOfId",
  "nextRetryAt",
  "idempotencyKey",
  "externalId",
  "startedByKind",
  "startedById",
  "startedByName",
  "cancelReason",
  "cancelledBy",
  "cancelledByKind",
  "cancelledByName",
  "createdAt",
  "startedAt",
  "completedAt",
  "durationMs",
] as const;
export type ExecutionColumn = "id" | (typeof EXECUTION_COLUMNS)[number];

export const WORKFLOW_COLUMNS = [
  "name",
  "description",
  "version",
  "isActive",
  "triggerEvent",
  "schedule",
  "nextRunAt",
  "createdAt",
  "updatedAt",
] as const;
export type WorkflowColumn = "id" | (typeof WORKFLOW_COLUMNS)[number];

export const STEP_COLUMNS = [
  "executionId",
  "batchId",
  "key",
  "name",
  "type",
  "index",
  "status",
  "critical",
  "attempt",
  "input",
  "output",
  "error",
  "errorCode",
  "branchTaken",
  "startedAt",
  "completedAt",
  "durationMs",
] as const;
export type StepColumn = "id" | (typeof STEP_COLUMNS)[number];

export type StepFilter = {
  status?: readonly StepStatus[] | null;
  type?: string | null;
  key?: string | null;
  batchIndex?: number | null;
};

/** The first `first` steps in definition order that match `filter`, one page per execution. */
export type StepsSelection = {
  first: number;
  filter: StepFilter | null;
  columns: ReadonlySet<StepColumn>;
  totalCount: boolean;
};

export type ExecutionSelection = {
  /** The id, the workflow's id and the sort value are always read. */
  columns: ReadonlySet<ExecutionColumn>;
  workflow: ReadonlySet<WorkflowColumn> | null;
  progress: boolean;
  /** By response key (an alias or the field name), so two aliased step pages each get theirs. */
  steps: ReadonlyMap<string, StepsSelection>;
};
