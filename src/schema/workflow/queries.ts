import { builder } from "../builder.ts";
import { decodeIdOf } from "../global-id.ts";
import { pageSizeOptions } from "../page-size.ts";
import { Workflow, WorkflowConnection } from "./types.ts";

builder.queryFields((t) => ({
  workflows: t.prismaConnection(
    {
      type: "Workflow",
      description: "Workflows of the tenant, by name.",
      cursor: "id",
      args: { search: t.arg.string({ description: "Case-insensitive substring of the name or description." }) },
      ...pageSizeOptions,
      resolve: (query, _root, args, ctx) =>
        ctx.db.workflow.findMany({
          ...query,
          where: workflowWhere(args.search),
          orderBy: [{ name: "asc" }, { id: "asc" }],
        }),
      totalCount: (_root, args, ctx) => ctx.db.workflow.count({ where: workflowWhere(args.search) }),
    },
    WorkflowConnection,
  ),
  workflow: t.prismaField({
    type: Workflow,
    nullable: true,
    description: "One workflow by ID; null when it does not exist.",
    args: { id: t.arg.id({ required: true, description: "Global ID." }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.workflow.findFirst({
        ...query,
        where: { id: decodeIdOf("Workflow", String(args.id)) },
      }),
  }),
}));

function workflowWhere(search?: string | null) {
  const s = search?.trim();
  if (!s) return {};
  const contains = { contains: s, mode: "insensitive" as const };
  return { OR: [{ name: contains }, { description: contains }] };
}
