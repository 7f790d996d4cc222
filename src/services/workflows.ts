// Creating and changing workflow definitions. A definition change is a new WorkflowVersion row
// (every version is kept, so a run can always show what it ran); the workflow row carries the
// current version number.

import { isDeepStrictEqual } from "node:util";
import { Prisma } from "@prisma/client";
import { z } from "zod";
import type { TenantDb } from "../db/tenant-scope.ts";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import type { Actor } from "../engine/events.ts";
import { type ActionCatalog, validateSteps } from "../engine/validate-steps.ts";
import { type FieldIssue, NotFoundError, ValidationError } from "../errors.ts";
import { scheduleColumns } from "./schedules.ts";

/** What saving a workflow needs: the tenant's database and the action types this app can run. */
export type WorkflowServices = Readonly<{ db: TenantDb; actions: ActionCatalog }>;

export const nameSchema = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
export const descriptionSchema = z.string().max(5000, "must be at most 5000 characters").nullish();

export type CreateWorkflowInput = {
  name: string;
  description?: string | null;
  definition: unknown;
  isActive?: boolean | null;
};

export type UpdateWorkflowInput = {
  id: string;
  name?: string | null;
  description?: string | null;
  definition?: unknown;
  isActive?: boolean | null;
};

export function fieldIssues(field: string, result: z.ZodSafeParseResult<unknown>): FieldIssue[] {
  return result.success ? [] : result.error.issues.map((i) => ({ path: [field], message: i.message }));
}

// Shape and graph first, then what only this app can tell (its action types and their inputs), so
// a definition that would fail every run is refused when it is saved.
export function definitionIssues(definition: unknown, actions: ActionCatalog): FieldIssue[] {
  const parsed = parseWorkflowDefinition(definition);
  const shape = parsed.ok ? parsed.value : parsed.shape;
  const issues = [...(parsed.ok ? [] : parsed.issues), ...(shape ? validateSteps(shape, actions) : [])];
  return issues.map((i) => ({ path: ["definition", ...i.path], message: i.message }));
}

/** The event a definition listens to (`trigger.event`), kept on the workflow row for emitEvent. */
function triggerEventOf(definition: unknown): string | null {
  const parsed = parseWorkflowDefinition(definition);
  return parsed.ok ? (parsed.value.trigger?.event ?? null) : null;
}

const createdBy = (actor: Actor) => ({ createdByKind: actor.kind, createdById: actor.id, createdByName: actor.name });

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

const duplicateName = () =>
  new ValidationError([{ path: ["name"], message: "a workflow with this name already exists" }]);

export async function createWorkflow({ db, actions }: WorkflowServices, actor: Actor, input: CreateWorkflowInput) {
  const name = nameSchema.safeParse(input.name);
  const issues = [
    ...fieldIssues("name", name),
    ...fieldIssues("description", descriptionSchema.safeParse(input.description)),
    ...definitionIssues(input.definition, actions),
  ];
  if (issues.length > 0 || !name.success) throw new ValidationError(issues);
  try {
    return await db.workflow.create({
      data: {
        tenantId: db.$tenantId,
        name: name.data,
        description: input.description ?? null,
        isActive: input.isActive ?? true,
        ...scheduleColumns(input.definition, input.isActive ?? true, new Date()),
        version: 1,
        triggerEvent: triggerEventOf(input.definition),
        versions: {
          create: {
            tenantId: db.$tenantId,
            version: 1,
            definition: input.definition as Prisma.InputJsonValue,
            ...createdBy(actor),
          },
        },
      },
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName();
    throw err;
  }
}

export async function updateWorkflow({ db, actions }: WorkflowServices, actor: Actor, input: UpdateWorkflowInput) {
  const name = input.name == null ? undefined : nameSchema.safeParse(input.name);
  const issues = [
    ...(name ? fieldIssues("name", name) : []),
    ...fieldIssues("description", descriptionSchema.safeParse(input.description)),
    ...(input.definition === undefined || input.definition === null ? [] : definitionIssues(input.definition, actions)),
  ];
  if (issues.length > 0) throw new ValidationError(issues);

  try {
    return await db.$transaction(async (tx) => {
      const current = await tx.workflow.findFirst({
        where: { id: input.id },
        select: {
          version: true,
          isActive: true,
          schedule: true,
          versions: { orderBy: { version: "desc" }, take: 1, select: { definition: true } },
        },
      });
      if (!current) throw new NotFoundError("Workflow", input.id);
      const changed =
        input.definition != null && !isDeepStrictEqual(input.definition, current.versions[0]?.definition ?? null);
      // A new schedule, or (de)activation, sets nextRunAt afresh: ticks while inactive are not run.
      const definition = changed ? input.definition : (current.versions[0]?.definition ?? null);
      const isActive = input.isActive ?? current.isActive;
      const schedule = scheduleColumns(definition, isActive, new Date());
      const scheduleChanged =
        isActive !== current.isActive || !isDeepStrictEqual(schedule.schedule === Prisma.DbNull ? null : schedule.schedule, current.schedule);
      // The increment happens under the row lock, so concurrent updates get distinct versions.
      const workflow = await tx.workflow.update({
        where: { id: input.id },
        data: {
          ...(name?.success ? { name: name.data } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.isActive != null ? { isActive: input.isActive } : {}),
          ...(changed ? { version: { increment: 1 }, triggerEvent: triggerEventOf(input.definition) } : {}),
          ...(scheduleChanged ? schedule : {}),
        },
      });
      if (changed) {
        await tx.workflowVersion.create({
          data: {
            tenantId: db.$tenantId,
            workflowId: workflow.id,
            version: workflow.version,
            definition: input.definition as Prisma.InputJsonValue,
            ...createdBy(actor),
          },
        });
      }
      return workflow;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName();
    throw err;
  }
}
