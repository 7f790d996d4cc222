// What a resolver loads when the row it resolves from does not carry it: the large columns of rows
// plugin-prisma loaded (its type-level select leaves them out) and the workflow of an execution.
// Each is one statement per batch of rows.
import type { Prisma } from "@prisma/client";
import type { TenantDb } from "../db/tenant-scope.ts";

export type ExecutionPayload = { input: Prisma.JsonValue | null; output: Prisma.JsonValue | null; context?: Prisma.JsonValue };
export type StepPayload = Pick<ExecutionPayload, "input" | "output"> & { error: string | null };

function inOrder<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | Error)[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? new Error(`row ${id} not found`));
}

export async function loadExecutionPayloads(db: TenantDb, ids: readonly string[]) {
  const rows = await db.execution.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, input: true, output: true, context: true },
  });
  return inOrder(ids, rows);
}

export async function loadStepPayloads(db: TenantDb, ids: readonly string[]) {
  const rows = await db.step.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, input: true, output: true, error: true },
  });
  return inOrder(ids, rows);
}

export async function loadWorkflows(db: TenantDb, ids: readonly string[]) {
  return inOrder(ids, await db.workflow.findMany({ where: { id: { in: [...ids] } } }));
}

/** Versions by [workflowId, version] (what an execution ran), one statement per batch. */
export async function loadWorkflowVersions(db: TenantDb, keys: readonly (readonly [string, number])[]) {
  const rows = await db.workflowVersion.findMany({
    where: { OR: keys.map(([workflowId, version]) => ({ workflowId, version })) },
  });
  const byKey = new Map(rows.map((r) => [`${r.workflowId}:${r.version}`, r]));
  return keys.map(([w, v]) => byKey.get(`${w}:${v}`) ?? new Error(`version ${v} of workflow ${w} not found`));
}
