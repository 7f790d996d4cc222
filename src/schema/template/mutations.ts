import { createWorkflowFromTemplate } from "../../services/templates/templates.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf } from "../global-id.ts";
import { Workflow } from "../workflow/types.ts";

const CreateWorkflowFromTemplateInput = builder.inputType("CreateWorkflowFromTemplateInput", {
  description: "A new workflow with a template's definition and description.",
  fields: (t) => ({
    templateId: t.id({ required: true, description: "The template's global ID." }),
    name: t.string({ required: true, description: "The new workflow's name; unique within the tenant." }),
  }),
});

builder.mutationFields((t) => ({
  createWorkflowFromTemplate: t.field({
    authScopes: { admin: true },
    type: Workflow,
    description: "Creates an active workflow at version 1 from a template (validated like createWorkflow), counting the use.",
    args: { input: t.arg({ type: CreateWorkflowFromTemplateInput, required: true, description: "Which template, what name." }) },
    // The same payload as createWorkflow (the errors plugin shares a union by its result's name).
    errors: {
      types: mutationErrors,
      union: { name: "CreateWorkflowPayload", description: "The workflow, or why it was not created." },
      result: { name: "CreateWorkflowSuccess", description: "The workflow was created." },
      dataField: { name: "workflow", description: "The new workflow." },
    },
    resolve: (_root, { input }, ctx) =>
      createWorkflowFromTemplate(ctx.workflows, ctx.actor, {
        templateId: decodeIdOf("WorkflowTemplate", String(input.templateId)),
        name: input.name,
      }),
  }),
}));
