import { createWorkflowFromTemplate, createWorkflowTemplate } from "../../services/templates/templates.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf } from "../global-id.ts";
import { createWorkflowErrors } from "../workflow/mutations.ts";
import { Workflow } from "../workflow/types.ts";
import { WorkflowTemplate } from "./types.ts";

const CreateWorkflowFromTemplateInput = builder.inputType("CreateWorkflowFromTemplateInput", {
  description: "A new workflow with a template's definition and description.",
  fields: (t) => ({
    templateId: t.id({ required: true, description: "The template's global ID." }),
    name: t.string({ required: true, description: "The new workflow's name; unique within the tenant." }),
  }),
});

const CreateWorkflowTemplateInput = builder.inputType("CreateWorkflowTemplateInput", {
  description: "A private template of your tenant (only your tenant sees it).",
  fields: (t) => ({
    name: t.string({ required: true, description: "1 to 200 characters." }),
    description: t.string({ description: "Up to 5000 characters." }),
    category: t.string({ description: "Up to 100 characters, e.g. operations." }),
    tags: t.stringList({ description: "Up to 20 keywords of up to 50 characters." }),
    definition: t.field({ type: "JSON", required: true, description: "Checked like createWorkflow's definition." }),
  }),
});

builder.mutationFields((t) => ({
  createWorkflowTemplate: t.field({
    authScopes: { admin: true },
    type: WorkflowTemplate,
    description: "Saves a private template for your tenant; its definition is checked like a workflow's.",
    args: { input: t.arg({ type: CreateWorkflowTemplateInput, required: true, description: "The template." }) },
    errors: {
      types: mutationErrors,
      union: { name: "CreateWorkflowTemplatePayload", description: "The template, or why it was not saved." },
      result: { name: "CreateWorkflowTemplateSuccess", description: "The template was saved." },
      dataField: { name: "template", description: "The new template." },
    },
    resolve: (_root, { input }, ctx) => createWorkflowTemplate(ctx.workflows, { ...input, definition: input.definition ?? null }),
  }),
  createWorkflowFromTemplate: t.field({
    authScopes: { admin: true },
    type: Workflow,
    description: "Creates an active workflow at version 1 from a template (validated like createWorkflow), counting the use.",
    args: { input: t.arg({ type: CreateWorkflowFromTemplateInput, required: true, description: "Which template, what name." }) },
    // The same payload as createWorkflow.
    errors: createWorkflowErrors,
    resolve: (_root, { input }, ctx) =>
      createWorkflowFromTemplate(ctx.workflows, ctx.actor, {
        templateId: decodeIdOf("WorkflowTemplate", String(input.templateId)),
        name: input.name,
      }),
  }),
}));
