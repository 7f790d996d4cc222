// WorkflowTemplate: a definition to start a workflow from. Public ones are shipped with Stepstream
// (services/templates/catalog.ts); private ones belong to one tenant. Another tenant's private
// template behaves like one that does not exist.
import { findTemplates, type TemplateRow } from "../../read/templates.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";

export const WorkflowTemplate = builder.node(builder.objectRef<TemplateRow>("WorkflowTemplate"), {
  description: "A workflow definition to start from: createWorkflowFromTemplate copies it into a new workflow.",
  id: { resolve: (t) => t.id },
  loadMany: (ids, ctx) => findTemplates(ctx.db, ctx.db.$tenantId, ids),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What it does, in a few words." }),
    description: t.exposeString("description", { nullable: true, description: "What it does and when to use it." }),
    category: t.exposeString("category", { nullable: true, description: "e.g. e-commerce, onboarding, operations." }),
    tags: t.exposeStringList("tags", { description: "Keywords a search also matches." }),
    definition: t.field({
      type: "JSON",
      description: 'The definition a new workflow gets (see "Workflow definition" in the README).',
      resolve: (row) => row.definition,
    }),
    isPublic: t.boolean({
      description: "Shipped with Stepstream and visible to every tenant; false: your tenant's own.",
      resolve: (row) => row.tenantId === null,
    }),
    usageCount: t.exposeInt("usageCount", { description: "How many workflows were created from it (all tenants)." }),
  }),
});

export const WorkflowTemplateConnection = connectionWithTotalCount("WorkflowTemplate", WorkflowTemplate);
