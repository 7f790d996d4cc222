// Workflow templates: the public catalog synced at start, creating a workflow from a template
// (validated like any definition by createWorkflow, then counted in the template's usageCount),
// and a tenant's own templates, created, changed and deleted (public ones ship with Stepstream and
// are read-only).
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import type { Actor } from "../../engine/events.ts";
import { ForbiddenError, NotFoundError, ValidationError } from "../../errors.ts";
import { isUuid } from "../../read/sql.ts";
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

/** Only the fields given change; description, category and tags may be cleared with null. */
export type UpdateTemplateInput = {
  id: string;
  name?: string | null;
  description?: string | null;
  category?: string | null;
  tags?: readonly string[] | null;
  definition?: unknown;
};

/** Changes one of the tenant's own templates; the definition, if given, is checked as on create. */
export async function updateWorkflowTemplate(s: WorkflowServices, input: UpdateTemplateInput) {
  const given = <K extends keyof UpdateTemplateInput>(key: K) => input[key] !== undefined;
  const name = nameSchema.safeParse(input.name);
  const category = categorySchema.safeParse(input.category);
  const tags = tagsSchema.safeParse(input.tags);
  const issues = [
    ...(given("name") ? fieldIssues("name", name) : []),
    ...(given("description") ? fieldIssues("description", descriptionSchema.safeParse(input.description)) : []),
    ...(given("category") ? fieldIssues("category", category) : []),
    ...(given("tags") ? fieldIssues("tags", tags) : []),
    ...(given("definition") ? definitionIssues(input.definition, s.actions) : []),
  ];
  if (issues.length > 0) throw new ValidationError(issues);
  const data: Prisma.WorkflowTemplateUpdateManyMutationInput = {
    ...(name.success ? { name: name.data } : {}),
    ...(given("description") ? { description: input.description ?? null } : {}),
    ...(given("category") && category.success ? { category: category.data ?? null } : {}),
    ...(given("tags") && tags.success ? { tags: [...new Set(tags.data ?? [])] } : {}),
    ...(given("definition") ? { definition: input.definition as Prisma.InputJsonValue } : {}),
  };
  // Scoped to the tenant: a public template (no tenant) or another tenant's matches nothing here.
  const { count } = await s.db.workflowTemplate.updateMany({ where: { id: ownId(input.id) }, data });
  if (count === 0) return refuseNotOwn(s, input.id);
  return s.db.workflowTemplate.findFirstOrThrow({ where: { id: input.id } });
}

/** Deletes one of the tenant's own templates; workflows made from it keep their definitions. */
export async function deleteWorkflowTemplate(s: WorkflowServices, input: { id: string }): Promise<{ id: string }> {
  const { count } = await s.db.workflowTemplate.deleteMany({ where: { id: ownId(input.id) } });
  if (count === 0) return refuseNotOwn(s, input.id);
  return { id: input.id };
}

/** An id that can match no row when it is not a uuid (Prisma would fail on the cast). */
const ownId = (id: string) => (isUuid(id) ? id : "00000000-0000-0000-0000-000000000000");

async function refuseNotOwn(s: WorkflowServices, id: string): Promise<never> {
  const [visible] = await findTemplates(s.db, s.db.$tenantId, [id]);
  if (visible) throw new ForbiddenError("Public templates ship with Stepstream and cannot be changed or deleted");
  throw new NotFoundError("WorkflowTemplate", id);
}
