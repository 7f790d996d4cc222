import { builder } from "../builder.ts";
import { decodeIdOf } from "../global-id.ts";
import { ExecutionFilter, ExecutionOrder, executionFilter } from "./filter.ts";
import { DEFAULT_ORDER, executionPage } from "./page.ts";
import { Execution, ExecutionConnection } from "./types.ts";

builder.queryFields((t) => ({
  executions: t.connection(
    {
      type: Execution,
      description: "Runs of the tenant's workflows, newest first unless ordered otherwise.",
      args: {
        filter: t.arg({ type: ExecutionFilter, description: "Narrows the runs." }),
        orderBy: t.arg({ type: ExecutionOrder, description: "Sort order; default CREATED_AT DESC." }),
      },
      resolve: (_root, args, ctx, info) =>
        executionPage(ctx, info, {
          filter: executionFilter(args.filter),
          order: args.orderBy ?? DEFAULT_ORDER,
          args,
        }),
    },
    ExecutionConnection,
  ),
  execution: t.prismaField({
    type: Execution,
    nullable: true,
    description: "One run by ID; null when it does not exist.",
    args: { id: t.arg.id({ required: true, description: "Global ID." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.execution.findFirst({
        ...query,
        where: { id: decodeIdOf("Execution", String(args.id)) },
      }),
  }),
}));
