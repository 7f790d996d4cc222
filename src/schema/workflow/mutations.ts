import { createWorkflow, updateWorkflow } from "../../services/workflows.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf } from "../global-id.ts";
import { Workflow } from "./types.ts";

const CreateWorkflowInput = builder.inputType("CreateWorkflowInput", {
  description: "A new workflow.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique within the tenant; 1 to 200 characters." }),
    description: t.string({ description: "Free text." }),
    definition: t.field({ type: "JSON", required: true, description: 'See "Workflow definition" in the README.' }),
    isActive: t.boolean({ description: "Default true." }),
  }),
});

const UpdateWorkflowInput = builder.inputType("UpdateWorkflowInput", {
  description: "Changes to a workflow; omitted fields stay as they are. A changed definition is a new version.",
  fields: (t) => ({
    id: t.id({ required: true, description: "The workflow's global ID." }),
    name: t.string({ description: "New name." }),
    description: t.string({ description: "New description (null clears it)." }),
    definition: t.field({ type: "JSON", description: "New definition." }),
    isActive: t.boolean({ description: "Activate or deactivate." }),
  }),
});

/** createWorkflow's payload; createWorkflowFromTemplate answers the same (the plugin shares the union by name). */
export const createWorkflowErrors = {
  types: mutationErrors,
  union: { name: "CreateWorkflowPayload", description: "The workflow, or why it was not created." },
  result: { name: "CreateWorkflowSuccess", description: "The workflow was created." },
  dataField: { name: "workflow", description: "The new workflow." },
};

builder.mutationFields((t) => ({
  createWorkflow: t.field({
    authScopes: { admin: true },
    type: Workflow,
    description: "Creates a workflow at version 1.",
    args: { input: t.arg({ type: CreateWorkflowInput, required: true, description: "The workflow to create." }) },
    errors: createWorkflowErrors,
    resolve: (_root, { input }, ctx) =>
      createWorkflow(ctx.workflows, ctx.actor, { ...input, definition: input.definition ?? null }),
  }),
  updateWorkflow: t.field({
    authScopes: { admin: true },
    type: Workflow,
    description: "Changes a workflow; a new definition bumps its version.",
    args: { input: t.arg({ type: UpdateWorkflowInput, required: true, description: "What to change." }) },
    errors: {
      types: mutationErrors,
      union: { name: "UpdateWorkflowPayload", description: "The workflow, or why it was not updated." },
      result: { name: "UpdateWorkflowSuccess", description: "The workflow was updated." },
      dataField: { name: "workflow", description: "The updated workflow." },
    },
    resolve: (_root, { input }, ctx) =>
      updateWorkflow(ctx.workflows, ctx.actor, { ...input, id: decodeIdOf("Workflow", String(input.id)) }),
  }),
}));
