// startBulkOperation: a dry run (what would be affected, nothing changed) or a tracked operation
// the worker processes. One mutation field, so one point of the rate limit, however many runs it
// touches. Roles by kind: operator for CANCEL and RETRY, admin for DELETE (dry runs included).
// cancelBulkOperation stops one where it is (operator: stopping is never the dangerous part).
import { wrapOrThrow } from "@pothos/plugin-errors";
import { hasRole } from "../../auth/principal.ts";
import { ForbiddenError } from "../../errors.ts";
import { cancelBulkOperation } from "../../services/bulk-operations/cancel.ts";
import { previewBulkOperation, startBulkOperation } from "../../services/bulk-operations/start.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { ExecutionFilter, executionFilter } from "../execution/filter.ts";
import { decodeIdOf } from "../global-id.ts";
import { BulkOperation, BulkOperationKindEnum, BulkOperationPreview, type Preview } from "./types.ts";

const StartBulkOperationInput = builder.inputType("StartBulkOperationInput", {
  description: "What to do to which executions.",
  fields: (t) => ({
    kind: t.field({ type: BulkOperationKindEnum, required: true, description: "Cancel, retry or delete." }),
    filter: t.field({
      type: ExecutionFilter,
      required: true,
      description: "Which executions, as in the executions query; only those the kind applies to are targeted.",
    }),
    dryRun: t.boolean({
      defaultValue: false,
      description: "Answer with a BulkOperationPreview (how many, and a sample) and change nothing.",
    }),
    reason: t.string({ description: "Why; kept on the operation and recorded on each cancelled run. At most 1,000 characters." }),
  }),
});

type PayloadError = InstanceType<(typeof mutationErrors)[number]>;

const StartBulkOperationPayload = builder.unionType("StartBulkOperationPayload", {
  description: "The operation (or, for a dry run, its preview), or why nothing was started.",
  types: [BulkOperation, BulkOperationPreview, ...mutationErrors],
  // A typed error arrives wrapped as the errors plugin wraps them (graphql-js would throw an Error
  // instance it is given); it still reads as the error, `name` included.
  resolveType: (value) => {
    if ("code" in value) return (value as PayloadError).name;
    return "sampleIds" in value ? "BulkOperationPreview" : "BulkOperation";
  },
});

builder.mutationField("startBulkOperation", (t) =>
  t.field({
    type: StartBulkOperationPayload,
    description:
      "Cancels, retries or deletes every execution a filter matches, as a tracked BulkOperation the worker processes in " +
      "small transactions (follow it with bulkOperationUpdated). The executions are fixed when it starts. dryRun: only " +
      "says how many and which. CANCEL and RETRY need the operator role, DELETE admin.",
    args: { input: t.arg({ type: StartBulkOperationInput, required: true, description: "What to do." }) },
    resolve: async (_root, { input }, ctx) => {
      try {
        const needed = input.kind === "DELETE" ? "ADMIN" : "OPERATOR";
        if (!hasRole(ctx.viewer, needed)) {
          throw new ForbiddenError(`A ${input.kind} bulk operation needs the ${needed.toLowerCase()} role`);
        }
        const request = {
          kind: input.kind,
          filter: executionFilter(input.filter),
          filterJson: input.filter,
          reason: input.reason ?? null,
        };
        if (input.dryRun) return (await previewBulkOperation(ctx.bulkOperations, request)) satisfies Preview;
        const { id } = await startBulkOperation(ctx.bulkOperations, ctx.actor, request);
        return await ctx.db.bulkOperation.findUniqueOrThrow({ where: { id } });
      } catch (error) {
        // As the errors plugin does for other mutations: a typed error becomes the payload, the rest is masked.
        return wrapOrThrow(error, mutationErrors) as PayloadError;
      }
    },
  }),
);

const CancelBulkOperationInput = builder.inputType("CancelBulkOperationInput", {
  description: "The bulk operation to stop.",
  fields: (t) => ({
    id: t.id({ required: true, description: "A PENDING or RUNNING bulk operation's global ID." }),
    reason: t.string({ description: "Why; kept in the operation's error with who cancelled it. At most 1,000 characters." }),
  }),
});

builder.mutationField("cancelBulkOperation", (t) =>
  t.field({
    authScopes: { operator: true },
    type: BulkOperation,
    description:
      "Stops a pending or running bulk operation where it is: it becomes CANCELLED, what it did stays done (its " +
      "counts say how much), and it acts on no further execution. A finished one: INVALID_STATE.",
    args: { input: t.arg({ type: CancelBulkOperationInput, required: true, description: "The operation to stop." }) },
    errors: {
      types: mutationErrors,
      union: { name: "CancelBulkOperationPayload", description: "The operation, or why it was not cancelled." },
      result: { name: "CancelBulkOperationSuccess", description: "The operation was cancelled." },
      dataField: { name: "bulkOperation", description: "The operation, CANCELLED." },
    },
    resolve: async (_root, { input }, ctx) => {
      const { id } = await cancelBulkOperation(ctx.bulkOperations, ctx.actor, {
        id: decodeIdOf("BulkOperation", String(input.id)),
        reason: input.reason,
      });
      return ctx.db.bulkOperation.findUniqueOrThrow({ where: { id } });
    },
  }),
);
