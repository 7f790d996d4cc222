// A tenant's own templates: created, changed, deleted (admin); any template: a workflow made from it.
import {
  createWorkflowFromTemplate,
  createWorkflowTemplate,
  deleteWorkflowTemplate,
  updateWorkflowTemplate,
} from "../../services/templates/templates.ts";
import { builder } from "../builder.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf, encodeGlobalId } from "../global-id.ts";
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

const UpdateWorkflowTemplateInput = builder.inputType("UpdateWorkflowTemplateInput", {
  description: "What changes on one of your tenant's templates: only the fields given (null clears an optional one).",
  fields: (t) => ({
    id: t.id({ required: true, description: "The template's global ID (one of your tenant's, not a public one)." }),
    name: t.string({ description: "1 to 200 characters." }),
    description: t.string({ description: "Up to 5000 characters; null clears it." }),
    category: t.string({ description: "Up to 100 characters; null clears it." }),
    tags: t.stringList({ description: "Replaces the tags: up to 20 keywords of up to 50 characters; null clears them." }),
    definition: t.field({ type: "JSON", description: "Checked like createWorkflow's definition." }),
  }),
});

const DeleteWorkflowTemplateInput = builder.inputType("DeleteWorkflowTemplateInput", {
  description: "The template to delete.",
  fields: (t) => ({
    id: t.id({ required: true, description: "The template's global ID (one of your tenant's, not a public one)." }),
  }),
});

const DeletedWorkflowTemplate = builder.objectRef<{ id: string }>("DeletedWorkflowTemplate").implement({
  description: "What was deleted.",
  fields: (t) => ({
    deletedId: t.id({
      description: "The deleted template's global ID.",
      resolve: (d) => encodeGlobalId("WorkflowTemplate", d.id),
    }),
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
  updateWorkflowTemplate: t.field({
    authScopes: { admin: true },
    type: WorkflowTemplate,
    description:
      "Changes one of your tenant's templates (the fields given; a definition is checked like a workflow's). Workflows " +
      "made from it before keep their definitions. A public template: FORBIDDEN.",
    args: { input: t.arg({ type: UpdateWorkflowTemplateInput, required: true, description: "What changes." }) },
    errors: {
      types: mutationErrors,
      union: { name: "UpdateWorkflowTemplatePayload", description: "The template, or why it was not changed." },
      result: { name: "UpdateWorkflowTemplateSuccess", description: "The template was changed." },
      dataField: { name: "template", description: "The template as it is now." },
    },
    resolve: (_root, { input }, ctx) =>
      updateWorkflowTemplate(ctx.workflows, {
        id: decodeIdOf("WorkflowTemplate", String(input.id)),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.category !== undefined ? { category: input.category } : {}),
        ...(input.tags !== undefined ? { tags: input.tags } : {}),
        ...(input.definition !== undefined ? { definition: input.definition } : {}),
      }),
  }),
  deleteWorkflowTemplate: t.field({
    authScopes: { admin: true },
    type: DeletedWorkflowTemplate,
    description: "Deletes one of your tenant's templates; workflows made from it keep their definitions. A public one: FORBIDDEN.",
    args: { input: t.arg({ type: DeleteWorkflowTemplateInput, required: true, description: "The template to delete." }) },
    errors: {
      types: mutationErrors,
      union: { name: "DeleteWorkflowTemplatePayload", description: "What was deleted, or why nothing was." },
      result: { name: "DeleteWorkflowTemplateSuccess", description: "The template is gone." },
      dataField: { name: "deleted", description: "What was deleted." },
    },
    resolve: (_root, { input }, ctx) =>
      deleteWorkflowTemplate(ctx.workflows, { id: decodeIdOf("WorkflowTemplate", String(input.id)) }),
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
