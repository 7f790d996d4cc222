import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { StepStatusEnum } from "../enums.ts";
import { pageSizeOptions } from "../page-size.ts";
import { StepConnection } from "../step/types.ts";

export const Batch = builder.prismaNode("Batch", {
  description: "Steps that ran in parallel. Batches of a run execute one after another.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    execution: t.relation("execution", { description: "The run this batch belongs to." }),
    index: t.exposeInt("index", { description: "0-based order within the execution." }),
    status: t.expose("status", { type: StepStatusEnum, description: "Aggregate status of its steps." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When its first step started." }),
    completedAt: t.expose("completedAt", {
      type: "DateTime",
      nullable: true,
      description: "When its last step finished.",
    }),
    durationMs: t.exposeInt("durationMs", { nullable: true, description: "completedAt - startedAt." }),
    steps: t.relatedConnection(
      "steps",
      {
        description: "Its steps in definition order.",
        cursor: "id",
        totalCount: true,
        query: { orderBy: { index: "asc" } },
        ...pageSizeOptions,
      },
      StepConnection,
    ),
  }),
});

export const BatchConnection = connectionWithTotalCount("Batch", Batch);
