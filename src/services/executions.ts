// Starting, cancelling and retrying executions: validation and idempotency here, the transitions
// themselves in the engine (engine/lifecycle.ts), which writes the run, its first event and its job
// in one statement. `s.db` is scoped to one tenant (db/tenant-scope.ts) for every read here.
import { Prisma, type TriggerSource } from "@prisma/client";
import type { TenantDb } from "../db/tenant-scope.ts";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import { FINISHED_EXECUTION_STATUSES, type Json, RETRYABLE_EXECUTION_STATUSES } from "../engine/events.ts";
import type { Lifecycle } from "../engine/lifecycle.ts";
import { removedDeltas, removedStepDeltas } from "../engine/store/rollup.ts";
import { InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";
import { isUuid } from "./stats/scope.ts";

export type ExecutionServices = {
  db: TenantDb;
  engine: Lifecycle;
};

/** Who is acting, recorded on what they change (e.g. cancelledBy). */
export type Actor = { name: string };

type StartInput = {
  workflowId: string;
  input?: unknown;
  idempotencyKey?: string | null;
  triggerEvent?: string | null;
  triggerSource?: TriggerSource;
};

// A workflow changed between reading it and starting its run (a cached read, or a concurrent
// update): read it again, at most this often, then report the conflict.
const START_ATTEMPTS = 3;

/** Starts a run; the same idempotencyKey on the same workflow returns the existing run. */
export async function startExecution(s: ExecutionServices, input: StartInput) {
  const key = input.idempotencyKey?.trim() || null;
  if (key && key.length > 200) {
    throw new ValidationError([{ path: ["idempotencyKey"], message: "must be at most 200 characters" }]);
  }
  const existing = () =>
    s.db.execution.findUnique({ where: { workflowId_idempotencyKey: { workflowId: input.workflowId, idempotencyKey: key as string } } });
  if (key) {
    const found = await existing();
    if (found) return found;
  }
  for (let attempt = 1; ; attempt++) {
    // The first read may come from the engine's cache; anything it would refuse is read again first.
    const fresh = attempt > 1;
    const workflow = await s.engine.workflow(s.db.$tenantId, input.workflowId, { fresh });
    if (!workflow) {
      if (fresh) throw new NotFoundError("Workflow", input.workflowId);
      continue;
    }
    if (!workflow.isActive || !workflow.definition.ok) {
      if (!fresh) continue;
      if (!workflow.isActive) throw new InvalidStateError(`Workflow "${workflow.name}" is inactive`);
      throw new InvalidStateError(`Workflow "${workflow.name}" has an invalid definition`);
    }
    const result = await s.engine.create(s.db.$tenantId, {
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      steps: workflow.definition.value.steps,
      input: input.input,
      idempotencyKey: key,
      triggerEvent: input.triggerEvent ?? null,
      triggerSource: input.triggerSource ?? "API",
      requireCurrentVersion: true,
    });
    if (result.kind === "created") return result.execution;
    if (result.kind === "stale-version") {
      if (attempt < START_ATTEMPTS) continue;
      throw new InvalidStateError(`Workflow "${workflow.name}" kept changing while the run was being started; try again`);
    }
    // Two concurrent starts with one key: the loser returns the winner's run.
    const winner = await existing();
    if (!winner) throw new Error("an execution with this idempotency key was reported but not found");
    return winner;
  }
}

/** Cancels a queued or running execution: cooperative, running actions are aborted. */
export async function cancelExecution(s: ExecutionServices, actor: Actor, input: { id: string; reason?: string | null }) {
  const reason = input.reason?.trim() || "cancelled";
  return s.engine.cancel(s.db.$tenantId, { id: input.id, reason, by: actor.name });
}

/**
 * A new execution that runs the same workflow version and input again (attempt + 1). With
 * fromFailedStep, batches that completed are reused: their steps keep their outputs and the run
 * continues from the first batch that did not complete.
 */
export async function retryExecution(s: ExecutionServices, input: { id: string; fromFailedStep?: boolean | null }) {
  const retry = await retryRun(s, input, false);
  if (!retry) throw new Error("a manual retry was not created");
  return retry;
}

async function retryRun(s: ExecutionServices, input: { id: string; fromFailedStep?: boolean | null }, automatic: boolean) {
  const original = await s.db.execution.findFirst({
    where: { id: input.id },
    include: { batches: { orderBy: { index: "asc" }, include: { steps: true } } },
  });
  if (!original) throw new NotFoundError("Execution", input.id);
  if (!(RETRYABLE_EXECUTION_STATUSES as readonly string[]).includes(original.status)) {
    throw new InvalidStateError(`Only a failed, cancelled or timed-out execution can be retried (this one is ${original.status})`);
  }
  const version = await s.db.workflowVersion.findUniqueOrThrow({
    where: { workflowId_version: { workflowId: original.workflowId, version: original.workflowVersion } },
  });
  const parsed = parseWorkflowDefinition(version.definition);
  if (!parsed.ok) throw new InvalidStateError("The execution's workflow version has an invalid definition");

  const reuse = new Map<string, { output: Json | null; status: "COMPLETED" | "SKIPPED"; branchTaken: string | null }>();
  if (input.fromFailedStep) {
    for (const batch of original.batches) {
      if (batch.status !== "COMPLETED" || batch.steps.some((st) => st.status !== "COMPLETED" && st.status !== "SKIPPED")) break;
      for (const st of batch.steps) {
        reuse.set(st.key, { output: st.output as Json | null, status: st.status as "COMPLETED" | "SKIPPED", branchTaken: st.branchTaken });
      }
    }
  }
  const result = await s.engine.create(s.db.$tenantId, {
    workflowId: original.workflowId,
    workflowVersion: original.workflowVersion,
    steps: parsed.value.steps,
    input: original.input ?? undefined,
    idempotencyKey: null,
    triggerEvent: original.triggerEvent,
    triggerSource: "RETRY",
    attempt: original.attempt + 1,
    // The retry replaces the scheduled one; an automatic retry only runs while still scheduled.
    retryOf: { id: original.id, onlyIfScheduled: automatic },
    reuse,
    // Reused steps do not run again, so what they wrote to the context is kept (README "Run context").
    ...(input.fromFailedStep ? { context: original.context as Json } : {}),
  });
  return result.kind === "created" ? result.execution : null;
}

/**
 * Deletes a finished execution with its batches, steps, events and logs (retries of it keep
 * running, with retryOf cleared). A queued or running one must be cancelled first: its worker
 * would otherwise be writing to rows that are gone.
 */
export async function deleteExecution(s: Pick<ExecutionServices, "db">, input: { id: string }): Promise<{ id: string }> {
  // One statement: the row goes and the rollups count it and its steps out (engine/store/rollup.ts).
  const finished = Prisma.join(FINISHED_EXECUTION_STATUSES.map((status) => Prisma.sql`${status}::"ExecutionStatus"`));
  const [deleted] = isUuid(input.id)
    ? await s.db.$queryRaw<{ count: number }[]>`
        WITH d AS (
          DELETE FROM "Execution" WHERE id = ${input.id}::uuid AND "tenantId" = ${s.db.$tenantId}::uuid AND status IN (${finished})
          RETURNING *
        ), rd AS (${Prisma.raw(removedDeltas("d"))}
        ), sd AS (${Prisma.raw(removedStepDeltas("d"))})
        SELECT count(*)::int AS count FROM d`
    : [];
  if (deleted?.count === 1) return { id: input.id };
  const row = await s.db.execution.findUnique({ where: { id: input.id }, select: { status: true } });
  if (!row) throw new NotFoundError("Execution", input.id);
  throw new InvalidStateError(`The execution is ${row.status}; cancel it before deleting it`);
}

/** The job behind a scheduled automatic retry (Execution.nextRetryAt). */
export async function automaticRetry(s: ExecutionServices, executionId: string) {
  const original = await s.db.execution.findUnique({ where: { id: executionId }, select: { nextRetryAt: true } });
  if (!original?.nextRetryAt) return null;
  return retryRun(s, { id: executionId }, true);
}
