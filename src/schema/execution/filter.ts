// ExecutionFilter and ExecutionOrder: one meaning for every place that lists executions (the
// executions query, Workflow.executions, the cross-execution steps query, and the
// executionsChanged and executionListChanges subscriptions).
import type { Prisma } from "@prisma/client";
import type { ListFilter } from "../../read/list-changes/match.ts";
import { builder } from "../builder.ts";
import { ExecutionStatusEnum, OrderDirectionEnum, TriggerSourceEnum } from "../enums.ts";
import { decodeIdOf } from "../global-id.ts";
import { actorIdFilter } from "../actor/types.ts";
import {
  type ExecutionFilter as ReadExecutionFilter,
  executionWhere as readExecutionWhere,
} from "../../read/execution-filter.ts";

export const ExecutionFilter = builder.inputType("ExecutionFilter", {
  description: "Narrows a list of executions; all given conditions must hold.",
  fields: (t) => ({
    workflowId: t.id({ description: "Only runs of this workflow." }),
    status: t.field({ type: [ExecutionStatusEnum], description: "Only these statuses." }),
    triggerSource: t.field({ type: [TriggerSourceEnum], description: "Only these trigger sources." }),
    createdAfter: t.field({ type: "DateTime", description: "Created at or after this instant." }),
    createdBefore: t.field({ type: "DateTime", description: "Created strictly before this instant." }),
    search: t.string({
      description: "Case-insensitive substring of the workflow name, the trigger event or the error message.",
    }),
    startedBy: t.string({ description: "Only runs started by this actor (an Actor id, exactly)." }),
    externalId: t.string({ description: "Only runs with this externalId (exactly)." }),
  }),
});

export type ExecutionFilterInput = typeof ExecutionFilter.$inferInput;

/** The read layer's filter: the workflow's global ID decoded (a foreign or malformed one is the client's error). */
export function executionFilter(filter?: ExecutionFilterInput | null): ReadExecutionFilter | null {
  if (!filter) return null;
  return {
    ...filter,
    workflowId: filter.workflowId != null ? decodeIdOf("Workflow", String(filter.workflowId)) : null,
    startedBy: filter.startedBy != null ? actorIdFilter(filter.startedBy) : null,
  };
}

export function executionWhere(filter?: ExecutionFilterInput | null): Prisma.ExecutionWhereInput {
  return readExecutionWhere(executionFilter(filter));
}

/** The same filter for the live list feed, which evaluates it in memory (read/list-changes/match.ts). */
export function executionListFilter(filter?: ExecutionFilterInput | null): ListFilter {
  if (!filter) return {};
  const search = filter.search?.trim();
  return {
    ...(filter.workflowId != null ? { workflowId: decodeIdOf("Workflow", String(filter.workflowId)) } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.triggerSource ? { triggerSource: filter.triggerSource } : {}),
    ...(filter.createdAfter ? { createdAfter: filter.createdAfter } : {}),
    ...(filter.createdBefore ? { createdBefore: filter.createdBefore } : {}),
    ...(search ? { search } : {}),
    ...(filter.startedBy != null ? { startedBy: actorIdFilter(filter.startedBy) } : {}),
    ...(filter.externalId != null ? { externalId: filter.externalId } : {}),
  };
}

export const ExecutionOrderField = builder.enumType("ExecutionOrderField", {
  description: "What to sort executions by. Runs without the value (not started, not finished) sort last.",
  values: {
    CREATED_AT: { value: "createdAt" },
    STARTED_AT: { value: "startedAt" },
    COMPLETED_AT: { value: "completedAt" },
    DURATION: { value: "durationMs" },
  } as const,
});

export const ExecutionOrder = builder.inputType("ExecutionOrder", {
  description: "Sort order for executions; ties are broken by ID so pages are stable.",
  fields: (t) => ({
    field: t.field({ type: ExecutionOrderField, required: true, description: "The value to sort by." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Ascending or descending." }),
  }),
});

export type ExecutionOrderInput = typeof ExecutionOrder.$inferInput;
