// Bulk operations as clients see them: the operation with its progress, and the dry run's answer.
import { BulkOperationKind, BulkOperationStatus } from "@prisma/client";
import type { Actor as ActorValue } from "../../engine/events.ts";
import { Actor, actorOf } from "../actor/types.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { Execution } from "../execution/types.ts";

export const BulkOperationKindEnum = builder.enumType(BulkOperationKind, {
  name: "BulkOperationKind",
  description:
    "What a bulk operation does to each execution it targets: CANCEL (queued or running ones), RETRY (failed, " +
    "cancelled or timed-out ones) or DELETE (finished ones, admin only).",
});

export const BulkOperationStatusEnum = builder.enumType(BulkOperationStatus, {
  name: "BulkOperationStatus",
  description:
    "PENDING (queued), RUNNING, COMPLETED (every target processed; see failed), FAILED (stopped by an error it could " +
    "not get past; what was done stays done), CANCELLED (stopped by cancelBulkOperation; what was done stays done).",
});

export const BulkOperation = builder.prismaNode("BulkOperation", {
  description: "A cancel, retry or delete of every execution a filter matched when it was started, run by the worker.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  nullable: true,
  fields: (t) => ({
    kind: t.expose("kind", { type: BulkOperationKindEnum, description: "What it does to each execution." }),
    status: t.expose("status", { type: BulkOperationStatusEnum, description: "Where it is." }),
    filter: t.expose("filter", { type: "JSON", description: "The ExecutionFilter it was started with." }),
    reason: t.exposeString("reason", { nullable: true, description: "Why, as given; recorded on cancelled runs." }),
    total: t.exposeInt("total", {
      description: "Executions it targets: those the filter matched at the start that the kind applies to.",
    }),
    processed: t.exposeInt("processed", { description: "Targets done so far (succeeded + failed)." }),
    succeeded: t.exposeInt("succeeded", { description: "Targets cancelled, retried or deleted." }),
    failed: t.exposeInt("failed", {
      description: "Targets it could not act on (e.g. the run finished meanwhile); nothing was changed on them.",
    }),
    createdBy: t.field({
      type: Actor,
      description: "Who started it.",
      select: { createdByKind: true, createdById: true, createdByName: true },
      // Never null: the kind and id columns are required (actorOf's null is for optional actors).
      resolve: (op) => actorOf(op.createdByKind, op.createdById, op.createdByName) as ActorValue,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was started." }),
    completedAt: t.expose("completedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it ended (COMPLETED, FAILED or CANCELLED).",
    }),
    error: t.exposeString("error", {
      nullable: true,
      description: "Why it stopped before the end: the error of a FAILED one, who cancelled a CANCELLED one (and why).",
    }),
  }),
});

export const BulkOperationConnection = connectionWithTotalCount("BulkOperation", BulkOperation);

export type Preview = { total: number; sampleIds: string[] };

export const BulkOperationPreview = builder.objectRef<Preview>("BulkOperationPreview").implement({
  description: "A dry run's answer: what a bulk operation would act on. Nothing was changed.",
  fields: (t) => ({
    total: t.exposeInt("total", { description: "Executions it would target now." }),
    sample: t.prismaField({
      type: [Execution],
      description: "The newest of them (at most 10).",
      resolve: (query, preview, _args, ctx) =>
        ctx.db.execution.findMany({
          ...query,
          where: { id: { in: preview.sampleIds } },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        }),
    }),
  }),
});
