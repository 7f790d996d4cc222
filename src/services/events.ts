// emitEvent: an event from the tenant's own product ("submission_completed") starts every active
// workflow listening to its name whose trigger conditions pass on its data, in one transaction
// (engine/lifecycle.ts emit). This validates, and turns the engine's answer into rows to show.
import type { TenantDb } from "../db/tenant-scope.ts";
import { eventNameSchema } from "../engine/definition.ts";
import type { Actor } from "../engine/events.ts";
import type { Lifecycle } from "../engine/lifecycle.ts";
import { type FieldIssue, ValidationError } from "../errors.ts";

export type EventServices = { db: TenantDb; engine: Lifecycle };

export type EmitEventInput = {
  name: string;
  data?: unknown;
  idempotencyKey?: string | null;
  externalId?: string | null;
};

const MAX_KEY_CHARS = 200;

export async function emitEvent(s: EventServices, actor: Actor, input: EmitEventInput) {
  const issues: FieldIssue[] = [];
  const name = eventNameSchema.safeParse(input.name);
  if (!name.success) issues.push(...name.error.issues.map((i) => ({ path: ["name"], message: i.message })));
  const key = input.idempotencyKey?.trim() || null;
  const externalId = input.externalId?.trim() || null;
  for (const [field, value] of [["idempotencyKey", key], ["externalId", externalId]] as const) {
    if (value && value.length > MAX_KEY_CHARS) issues.push({ path: [field], message: `must be at most ${MAX_KEY_CHARS} characters` });
  }
  if (issues.length > 0 || !name.success) throw new ValidationError(issues);

  const result = await s.engine.emit(s.db.$tenantId, {
    name: name.data,
    data: input.data ?? null,
    idempotencyKey: key,
    externalId,
    startedBy: actor,
  });
  const ids = result.kind === "emitted" ? result.executions.map((e) => e.id) : result.executionIds;
  const workflowIds = result.skipped.map((skip) => skip.workflowId);
  const [executions, workflows] = await Promise.all([
    ids.length ? s.db.execution.findMany({ where: { id: { in: ids } } }) : [],
    workflowIds.length ? s.db.workflow.findMany({ where: { id: { in: workflowIds } } }) : [],
  ]);
  const executionById = new Map(executions.map((e) => [e.id, e]));
  const workflowById = new Map(workflows.map((w) => [w.id, w]));
  return {
    // In the order they were started; a run deleted since an earlier call with the key is left out.
    started: ids.flatMap((id) => executionById.get(id) ?? []),
    skipped: result.skipped.flatMap((skip) => {
      const workflow = workflowById.get(skip.workflowId);
      return workflow ? [{ workflow, reason: skip.reason }] : [];
    }),
  };
}
