import type { Prisma } from "@prisma/client";
import { builder } from "../builder.ts";
import { ExecutionFilter, executionWhere } from "../execution/filter.ts";
import { pageSizeOptions } from "../page-size.ts";
import { StepConnection, StepFilter, stepWhere } from "./types.ts";

builder.queryFields((t) => ({
  steps: t.prismaConnection(
    {
      type: "Step",
      description: "Steps across executions, grouped by execution and in definition order within one.",
      cursor: "id",
      args: {
        filter: t.arg({ type: StepFilter, description: "Narrows the steps." }),
        executionFilter: t.arg({ type: ExecutionFilter, description: "Only steps of runs that match." }),
      },
      ...pageSizeOptions,
      resolve: (query, _root, args, ctx) =>
        ctx.db.step.findMany({
          ...query,
          where: stepsWhere(args),
          orderBy: [{ executionId: "desc" }, { index: "asc" }],
        }),
      totalCount: (_root, args, ctx) => ctx.db.step.count({ where: stepsWhere(args) }),
    },
    StepConnection,
  ),
}));

function stepsWhere(
  args: { filter?: typeof StepFilter.$inferInput | null; executionFilter?: typeof ExecutionFilter.$inferInput | null },
): Prisma.StepWhereInput {
  const where: Prisma.StepWhereInput = stepWhere(args.filter);
  if (args.executionFilter) where.execution = executionWhere(args.executionFilter);
  return where;
}
