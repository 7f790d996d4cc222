// WorkflowVersion: one saved definition of a workflow. Every change of definition is a new one and
// none is ever changed, so a run's `definition` is exactly what it ran.
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { pageSizeOptions } from "../page-size.ts";
import { Actor, actorOf } from "../actor/types.ts";

export const WorkflowVersion = builder.prismaNode("WorkflowVersion", {
  description: "One saved definition of a workflow; versions are never changed.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  nullable: true,
  fields: (t) => ({
    workflow: t.relation("workflow", { description: "The workflow this is a version of." }),
    version: t.exposeInt("version", { description: "1, 2, 3, … per workflow." }),
    definition: t.expose("definition", { type: "JSON", description: "The definition as saved." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was saved." }),
    createdBy: t.field({
      type: Actor,
      nullable: true,
      description: "Who saved it; null for versions saved before this was recorded.",
      resolve: (v) => actorOf(v.createdByKind, v.createdById, v.createdByName),
    }),
  }),
});

export const WorkflowVersionConnection = connectionWithTotalCount("WorkflowVersion", WorkflowVersion);

builder.prismaObjectField("Workflow", "versions", (t) =>
  t.relatedConnection(
    "versions",
    {
      description: "Every saved version, newest first.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: { version: "desc" } },
      ...pageSizeOptions,
    },
    WorkflowVersionConnection,
  ),
);
