import type { Prisma } from "@prisma/client";
import type { Context } from "../../context.ts";
import type { StepPayload } from "../../read/fallbacks.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { StepStatusEnum } from "../enums.ts";
import { LogEntryConnection, LogFilter, logWhere } from "../log/types.ts";
import { pageSizeOptions } from "../page-size.ts";

export const StepFilter = builder.inputType("StepFilter", {
  description: "Narrows a list of steps; all given conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: [StepStatusEnum], description: "Only these statuses." }),
    type: t.string({ description: 'Only this action type, e.g. "http".' }),
    key: t.string({ description: "Only the step with this id in the definition." }),
    batchIndex: t.int({ description: "Only steps of the batch with this index." }),
  }),
});

export type StepFilterInput = typeof StepFilter.$inferInput;

export function stepWhere(filter?: StepFilterInput | null): Prisma.StepWhereInput {
  if (!filter) return {};
  return {
    ...(filter.status ? { status: { in: filter.status } } : {}),
    ...(filter.type != null ? { type: filter.type } : {}),
    ...(filter.key != null ? { key: filter.key } : {}),
    ...(filter.batchIndex != null ? { batch: { index: filter.batchIndex } } : {}),
  };
}

/** A step row carries a large column when whoever read it selected it; else it is loaded by id. */
function payload<K extends keyof StepPayload>(key: K) {
  return (step: { id: string }, _args: unknown, ctx: Context): StepPayload[K] | Promise<StepPayload[K]> => {
    const value = (step as Partial<StepPayload>)[key];
    return value !== undefined ? value : ctx.loaders.stepPayload.load(step.id).then((p) => p[key]);
  };
}

export const Step = builder.prismaNode("Step", {
  description: "One action of one run.",
  // Select mode, with every small column in the type's own select: the fields below are plain
  // resolvers, so a step read by the executions statement (read/) resolves without plugin-prisma,
  // and input/output/error (large) are read only when selected.
  select: {
    id: true,
    executionId: true,
    batchId: true,
    key: true,
    name: true,
    type: true,
    index: true,
    status: true,
    critical: true,
    attempt: true,
    errorCode: true,
    branchTaken: true,
    startedAt: true,
    completedAt: true,
    durationMs: true,
  },
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    execution: t.relation("execution", { description: "The run this step belongs to." }),
    batch: t.relation("batch", { description: "The batch it ran in." }),
    key: t.string({ description: "The step's id in the workflow definition.", resolve: (s) => s.key }),
    name: t.string({ description: "Display name (defaults to the key).", resolve: (s) => s.name }),
    type: t.string({ description: 'Action type, e.g. "http", "delay".', resolve: (s) => s.type }),
    index: t.int({ description: "Order within the execution (definition order).", resolve: (s) => s.index }),
    status: t.field({ type: StepStatusEnum, description: "Current status.", resolve: (s) => s.status }),
    critical: t.boolean({ description: "Whether its failure fails the run.", resolve: (s) => s.critical }),
    attempt: t.int({ description: "Attempts so far; 0 until it first starts.", resolve: (s) => s.attempt }),
    input: t.field({
      type: "JSON",
      nullable: true,
      description: "The resolved (templated) config.",
      resolve: payload("input"),
    }),
    output: t.field({
      type: "JSON",
      nullable: true,
      description: "What the action returned.",
      resolve: payload("output"),
    }),
    error: t.string({ nullable: true, description: "Why it failed.", resolve: payload("error") }),
    errorCode: t.string({
      nullable: true,
      description: "Stable failure code, e.g. TIMEOUT.",
      resolve: (s) => s.errorCode,
    }),
    branchTaken: t.string({
      nullable: true,
      description: "For steps with a `when` condition: which branch was taken.",
      resolve: (s) => s.branchTaken,
    }),
    startedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it started.",
      resolve: (s) => s.startedAt,
    }),
    completedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it finished.",
      resolve: (s) => s.completedAt,
    }),
    durationMs: t.int({ nullable: true, description: "completedAt - startedAt.", resolve: (s) => s.durationMs }),
    logs: t.relatedConnection(
      "logs",
      {
        description: "Log entries of this step, oldest first.",
        cursor: "id",
        totalCount: true,
        args: { filter: t.arg({ type: LogFilter, description: "Narrows the entries." }) },
        query: (args) => ({ where: logWhere(args.filter), orderBy: [{ at: "asc" }, { id: "asc" }] }),
        ...pageSizeOptions,
      },
      LogEntryConnection,
    ),
  }),
});

export const StepConnection = connectionWithTotalCount("Step", Step);
