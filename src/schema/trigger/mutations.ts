// emitEvent: starts every active workflow of the tenant listening to the event (trigger.event)
// whose trigger conditions pass on its data, and says why each other listener did not start.
import type { Execution as ExecutionRow, Workflow as WorkflowRow } from "@prisma/client";
import { emitEvent } from "../../services/events.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { Execution } from "../execution/types.ts";
import { Workflow } from "../workflow/types.ts";

const EmitEventInput = builder.inputType("EmitEventInput", {
  description: "Something that happened in your product, for the workflows listening to its name.",
  fields: (t) => ({
    name: t.string({
      required: true,
      description: "The event's name, as workflows declare it in `trigger.event` (e.g. submission_completed).",
    }),
    data: t.field({
      type: "JSON",
      description: "The event's data: each listener's trigger conditions read it, and it is each run's input.",
    }),
    idempotencyKey: t.string({
      description: "The same key again (per tenant) returns the executions of the first call and starts nothing.",
    }),
    externalId: t.string({ description: "Recorded as every started run's externalId." }),
  }),
});

type Skip = { workflow: WorkflowRow; reason: string };

const TriggerSkip = builder.objectRef<Skip>("TriggerSkip").implement({
  description: "An active or inactive workflow listening to the event that did not start, and why.",
  fields: (t) => ({
    workflow: t.field({ type: Workflow, description: "The workflow.", resolve: (s) => s.workflow }),
    reason: t.exposeString("reason", {
      description: 'Why: "the workflow is inactive", or "trigger conditions did not pass: <the failing rules>".',
    }),
  }),
});

const EmitEventSuccess = builder.objectRef<{ started: ExecutionRow[]; skipped: Skip[] }>("EmitEventSuccess").implement({
  description: "What the event started and what it skipped (two empty lists when nothing listens to it).",
  fields: (t) => ({
    started: t.field({ type: [Execution], description: "The executions started, one per workflow.", resolve: (r) => r.started }),
    skipped: t.field({ type: [TriggerSkip], description: "One entry per listening workflow that did not start.", resolve: (r) => r.skipped }),
  }),
});

builder.mutationFields((t) => ({
  emitEvent: t.field({
    authScopes: { operator: true },
    type: EmitEventSuccess,
    description:
      "Starts, in one transaction, a run (triggerSource EVENT) of every active workflow listening to the event whose " +
      "trigger conditions pass on its data. An idempotencyKey seen before returns the same executions.",
    args: { input: t.arg({ type: EmitEventInput, required: true, description: "The event." }) },
    errors: {
      types: mutationErrors,
      directResult: true,
      union: { name: "EmitEventPayload", description: "What the event started and skipped, or why nothing was." },
    },
    resolve: (_root, { input }, ctx) =>
      emitEvent({ db: ctx.db, engine: ctx.executions.engine }, ctx.actor, {
        name: input.name,
        data: input.data ?? undefined,
        idempotencyKey: input.idempotencyKey,
        externalId: input.externalId,
      }),
  }),
}));
