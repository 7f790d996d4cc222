// Workflow templates: the public catalog synced at start, and creating a workflow from a template
// (validated like any definition by createWorkflow, then counted in the template's usageCount).
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { Actor } from "../../engine/events.ts";
import { NotFoundError, ValidationError } from "../../errors.ts";
import { findTemplates } from "../../read/templates.ts";
import {
  createWorkflow,
  definitionIssues,
  descriptionSchema,
  fieldIssues,
  nameSchema,
  type WorkflowServices,
} from "../workflows.ts";
import { PUBLIC_TEMPLATES } from "./catalog.ts";

/**
 * Writes the shipped public templates (by slug): a new one is added, a changed one updated; their
 * usage counts stay. One statement, safe when several processes start at once.
 */
export async function syncPublicTemplates(db: Db): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "WorkflowTemplate" (slug, name, description, category, tags, definition)
    SELECT t.slug, t.name, t.description, t.category, ARRAY(SELECT jsonb_array_elements_text(t.tags)), t.definition
    FROM jsonb_to_recordset(${JSON.stringify(PUBLIC_TEMPLATES)}::jsonb)
      AS t(slug text, name text, description text, category text, tags jsonb, definition jsonb)
    ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description,
      category = excluded.category, tags = excluded.tags, definition = excluded.definition
    WHERE ("WorkflowTemplate".name, "WorkflowTemplate".description, "WorkflowTemplate".category,
      "WorkflowTemplate".tags, "WorkflowTemplate".definition)
      IS DISTINCT FROM (excluded.name, excluded.description, excluded.category, excluded.tags, excluded.definition)`;
}

export async function createWorkflowFromTemplate(
  s: WorkflowServices,
  actor: Actor,
  input: { templateId: string; name: string },
) {
  const [template] = await findTemplates(s.db, s.db.$tenantId, [input.templateId]);
  if (!template) throw new NotFoundError("WorkflowTemplate", input.templateId);
  const workflow = await createWorkflow(s, actor, {
    name: input.name,
    description: template.description,
    definition: template.definition as Prisma.JsonValue,
  });
  // After the workflow exists: a refused name (duplicate, invalid) counts nothing.
  await s.db.$executeRaw`UPDATE "WorkflowTemplate" SET "usageCount" = "usageCount" + 1
    WHERE id = ${template.id}::uuid AND ("tenantId" IS NULL OR "tenantId" = ${s.db.$tenantId}::uuid)`;
  return workflow;
}

export type CreateTemplateInput = {
  name: string;
  description?: string | null;
  category?: string | null;
  tags?: readonly string[] | null;
  definition: unknown;
};

const categorySchema = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters").nullish();
const tagsSchema = z
  .array(z.string().trim().min(1, "must not be empty").max(50, "must be at most 50 characters"))
  .max(20, "at most 20 tags")
  .nullish();

/** A private template of the tenant, its definition checked like a workflow's when saved. */
export async function createWorkflowTemplate(s: WorkflowServices, input: CreateTemplateInput) {
  const name = nameSchema.safeParse(input.name);
  const category = categorySchema.safeParse(input.category);
  const tags = tagsSchema.safeParse(input.tags);
  const issues = [
    ...fieldIssues("name", name),
    ...fieldIssues("description", descriptionSchema.safeParse(input.description)),
    ...fieldIssues("category", category),
    ...fieldIssues("tags", tags),
    ...definitionIssues(input.definition, s.actions),
  ];
  if (issues.length > 0 || !name.success || !category.success || !tags.success) throw new ValidationError(issues);
  return s.db.workflowTemplate.create({
    data: {
      tenantId: s.db.$tenantId,
      name: name.data,
      description: input.description ?? null,
      category: category.data ?? null,
      tags: [...new Set(tags.data ?? [])],
      definition: input.definition as Prisma.InputJsonValue,
    },
  });
}
