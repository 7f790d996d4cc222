import type { Prisma } from "@prisma/client";
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

export function stepWhere(filter?: typeof StepFilter.$inferInput | null): Prisma.StepWhereInput {
  if (!filter) return {};
  return {
    ...(filter.status ? { status: { in: filter.status } } : {}),
    ...(filter.type != null ? { type: filter.type } : {}),
    ...(filter.key != null ? { key: filter.key } : {}),
    ...(filter.batchIndex != null ? { batch: { index: filter.batchIndex } } : {}),
  };
}

export const Step = builder.prismaNode("Step", {
  description: "One action of one run.",
  // Select mode: a query loads only the columns its fields need (input/output JSON are large).
  select: { id: true },
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    execution: t.relation("execution", { description: "The run this step belongs to." }),
    batch: t.relation("batch", { description: "The batch it ran in." }),
    key: t.exposeString("key", { description: "The step's id in the workflow definition." }),
    name: t.exposeString("name", { description: "Display name (defaults to the key)." }),
    type: t.exposeString("type", { description: 'Action type, e.g. "http", "delay".' }),
    index: t.exposeInt("index", { description: "Order within the execution (definition order)." }),
    status: t.expose("status", { type: StepStatusEnum, description: "Current status." }),
    critical: t.exposeBoolean("critical", { description: "Whether its failure fails the run." }),
    attempt: t.exposeInt("attempt", { description: "Attempts so far; 0 until it first starts." }),
    input: t.expose("input", { type: "JSON", nullable: true, description: "The resolved (templated) config." }),
    output: t.expose("output", { type: "JSON", nullable: true, description: "What the action returned." }),
    error: t.exposeString("error", { nullable: true, description: "Why it failed." }),
    errorCode: t.exposeString("errorCode", { nullable: true, description: "Stable failure code, e.g. TIMEOUT." }),
    branchTaken: t.exposeString("branchTaken", {
      nullable: true,
      description: "For steps with a `when` condition: which branch was taken.",
    }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When it started." }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When it finished." }),
    durationMs: t.exposeInt("durationMs", { nullable: true, description: "completedAt - startedAt." }),
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
