import { apiStart, cancelExecution, deleteExecution, retryExecution, startExecution } from "../../services/executions.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf, encodeGlobalId } from "../global-id.ts";
import { Execution } from "./types.ts";

const StartExecutionInput = builder.inputType("StartExecutionInput", {
  description: "What to run and with which trigger data.",
  fields: (t) => ({
    workflowId: t.id({ required: true, description: "The workflow to run (its current version)." }),
    input: t.field({ type: "JSON", description: "Trigger data: templates read it as {{input.…}}." }),
    idempotencyKey: t.string({
      description: "Starting again with the same key on the same workflow returns the existing run.",
    }),
    triggerEvent: t.string({ description: "Name of the event that triggered the run, for filtering." }),
    externalId: t.string({
      description: "The run's id in the system that caused it (an order number, …): stored, shown and filterable.",
    }),
  }),
});

const CancelExecutionInput = builder.inputType("CancelExecutionInput", {
  description: "The run to cancel.",
  fields: (t) => ({
    id: t.id({ required: true, description: "The execution's global ID." }),
    reason: t.string({ description: "Why; recorded on the run and its event." }),
  }),
});

const RetryExecutionInput = builder.inputType("RetryExecutionInput", {
  description: "The run to retry.",
  fields: (t) => ({
    id: t.id({ required: true, description: "A FAILED, CANCELLED or TIMED_OUT execution." }),
    fromFailedStep: t.boolean({
      defaultValue: false,
      description:
        "Reuse the outputs of completed batches and run again from the first that did not complete (only with the " +
        "original's version and input).",
    }),
    useLatestVersion: t.boolean({
      defaultValue: false,
      description: "Run the workflow's current version instead of the one the original ran (the default).",
    }),
    input: t.field({
      type: "JSON",
      description: "Run with this input instead of the original's; recorded as the new run's input.",
    }),
  }),
});

const DeleteExecutionInput = builder.inputType("DeleteExecutionInput", {
  description: "The run to delete.",
  fields: (t) => ({
    id: t.id({ required: true, description: "A finished execution's global ID." }),
  }),
});

const DeletedExecution = builder.objectRef<{ id: string }>("DeletedExecution").implement({
  description: "What was deleted.",
  fields: (t) => ({
    deletedId: t.id({ description: "The deleted execution's global ID.", resolve: (d) => encodeGlobalId("Execution", d.id) }),
  }),
});

/** The errors-plugin options of a mutation whose result is an execution (also pause-mutations.ts). */
export function executionPayload(name: string, did: string) {
  return {
    types: mutationErrors,
    union: { name: `${name}Payload`, description: `The execution, or why it was not ${did}.` },
    result: { name: `${name}Success`, description: `The execution was ${did}.` },
    dataField: { name: "execution", description: "The execution." },
  };
}

builder.mutationFields((t) => ({
  startExecution: t.field({
    authScopes: { operator: true },
    type: Execution,
    description: "Queues a run of a workflow; the engine starts it at once.",
    args: { input: t.arg({ type: StartExecutionInput, required: true, description: "What to run." }) },
    errors: executionPayload("StartExecution", "started"),
    resolve: (_root, { input }, ctx) =>
      startExecution(ctx.executions, apiStart(ctx.actor), {
        workflowId: decodeIdOf("Workflow", String(input.workflowId)),
        input: input.input ?? undefined,
        idempotencyKey: input.idempotencyKey,
        externalId: input.externalId,
        triggerEvent: input.triggerEvent,
      }),
  }),
  cancelExecution: t.field({
    authScopes: { operator: true },
    type: Execution,
    description: "Cancels a queued or running run: running actions are aborted, pending steps cancelled.",
    args: { input: t.arg({ type: CancelExecutionInput, required: true, description: "The run to cancel." }) },
    errors: executionPayload("CancelExecution", "cancelled"),
    resolve: (_root, { input }, ctx) =>
      cancelExecution(ctx.executions, ctx.actor, { id: decodeIdOf("Execution", String(input.id)), reason: input.reason }),
  }),
  retryExecution: t.field({
    authScopes: { operator: true },
    type: Execution,
    description: "Runs a finished run again as a new execution with attempt + 1 and retryOf set.",
    args: { input: t.arg({ type: RetryExecutionInput, required: true, description: "The run to retry." }) },
    errors: executionPayload("RetryExecution", "retried"),
    resolve: (_root, { input }, ctx) =>
      retryExecution(ctx.executions, ctx.actor, {
        id: decodeIdOf("Execution", String(input.id)),
        fromFailedStep: input.fromFailedStep,
        useLatestVersion: input.useLatestVersion,
        // Absent or null: the original's input (a run's input is optional, JSON null is not a useful one).
        input: input.input ?? undefined,
      }),
  }),
  deleteExecution: t.field({
    authScopes: { admin: true },
    type: DeletedExecution,
    description: "Deletes a finished run with its steps, batches, events and logs (admin only).",
    args: { input: t.arg({ type: DeleteExecutionInput, required: true, description: "The run to delete." }) },
    errors: {
      types: mutationErrors,
      union: { name: "DeleteExecutionPayload", description: "What was deleted, or why nothing was." },
      result: { name: "DeleteExecutionSuccess", description: "The execution is gone." },
      dataField: { name: "deleted", description: "What was deleted." },
    },
    resolve: (_root, { input }, ctx) => deleteExecution(ctx.executions, { id: decodeIdOf("Execution", String(input.id)) }),
  }),
}));
