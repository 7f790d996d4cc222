// Starting, cancelling and retrying executions: validation and idempotency here, the transitions
// themselves in the engine (engine/lifecycle.ts), which writes the run, its first event and its job
// in one statement. `s.db` is scoped to one tenant (db/tenant-scope.ts) for every read here.
import { Prisma, type TriggerSource } from "@prisma/client";
import type { TenantDb } from "../db/tenant-scope.ts";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import {
  type Actor,
  type Json,
  RETRYABLE_EXECUTION_STATUSES,
  SYSTEM_ACTORS,
} from "../engine/events.ts";
import type { Lifecycle } from "../engine/lifecycle.ts";
import type { Alongside } from "../engine/store/store.ts";
import { deleteFinishedCtes } from "./delete-executions.ts";
import { InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";
import { isUuid } from "./stats/scope.ts";

export type ExecutionServices = {
  db: TenantDb;
  engine: Lifecycle;
};

export type { Actor };

export type StartInput = {
  workflowId: string;
  input?: unknown;
  idempotencyKey?: string | null;
  externalId?: string | null;
  triggerEvent?: string | null;
};

/** Who starts a run and how: the caller decides (the API from the credentials, schedules SYSTEM). */
export type StartedBy = { actor: Actor; triggerSource: TriggerSource };

/** How a start through the API is recorded: a person is MANUAL, an API key API. */
export function apiStart(actor: Actor): StartedBy {
  return { actor, triggerSource: actor.kind === "API_KEY" ? "API" : "MANUAL" };
}

const MAX_KEY_CHARS = 200;

/** Trimmed, null when empty; a ValidationError at `field` when too long. */
function optionalKey(value: string | null | undefined, field: string): string | null {
  const key = value?.trim() || null;
  if (key && key.length > MAX_KEY_CHARS) {
    throw new ValidationError([{ path: [field], message: `must be at most ${MAX_KEY_CHARS} characters` }]);
  }
  return key;
}

// A workflow changed between reading it and starting its run (a cached read, or a concurrent
// update): read it again, at most this often, then report the conflict.
const START_ATTEMPTS = 3;

/** Starts a run; the same idempotencyKey on the same workflow returns the existing run. */
export async function startExecution(s: ExecutionServices, by: StartedBy, input: StartInput) {
  const key = optionalKey(input.idempotencyKey, "idempotencyKey");
  const externalId = optionalKey(input.externalId, "externalId");
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
      externalId,
      triggerEvent: input.triggerEvent ?? null,
      triggerSource: by.triggerSource,
      startedBy: by.actor,
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

/**
 * Cancels a queued or running execution: cooperative, running actions are aborted. `alongside`
 * commits with the cancel (a bulk operation's mark, see bulk-operations/).
 */
export async function cancelExecution(
  s: ExecutionServices,
  actor: Actor,
  input: { id: string; reason?: string | null },
  alongside?: Alongside,
) {
  const reason = input.reason?.trim() || "cancelled";
  return s.engine.cancel(s.db.$tenantId, { id: input.id, reason, by: actor, ...(alongside ? { alongside } : {}) });
}

export type RetryInput = {
  id: string;
  fromFailedStep?: boolean | null;
  /** Run the workflow's current version instead of the one the original ran. */
  useLatestVersion?: boolean | null;
  /** Run with this input instead of the original's (undefined: the original's). */
  input?: unknown;
};

/**
 * A new execution that runs the same workflow version and input again (attempt + 1), unless asked
 * for the current version or other input. With fromFailedStep, batches that completed are reused:
 * their steps keep their outputs and the run continues from the first batch that did not complete
 * (only on the same version and input: on others those outputs would not be what the steps give).
 * `alongside` commits with the new run (a bulk operation's mark, see bulk-operations/).
 */
export async function retryExecution(s: ExecutionServices, actor: Actor, input: RetryInput, alongside?: Alongside) {
  const retry = await retryRun(s, input, actor, alongside);
  if (!retry) throw new Error("a manual retry was not created");
  return retry;
}

async function retryRun(s: ExecutionServices, input: RetryInput, actor: Actor | null, alongside?: Alongside) {
  const automatic = actor === null;
  const original = await s.db.execution.findFirst({
    where: { id: input.id },
    include: { batches: { orderBy: { index: "asc" }, include: { steps: true } } },
  });
  if (!original) throw new NotFoundError("Execution", input.id);
  if (!(RETRYABLE_EXECUTION_STATUSES as readonly string[]).includes(original.status)) {
    throw new InvalidStateError(`Only a failed, cancelled or timed-out execution can be retried (this one is ${original.status})`);
  }
  const useLatestVersion = input.useLatestVersion === true;
  const inputEdited = input.input !== undefined;
  const version = useLatestVersion
    ? await s.db.workflowVersion.findFirstOrThrow({ where: { workflowId: original.workflowId }, orderBy: { version: "desc" } })
    : await s.db.workflowVersion.findUniqueOrThrow({
        where: { workflowId_version: { workflowId: original.workflowId, version: original.workflowVersion } },
      });
  const parsed = parseWorkflowDefinition(version.definition);
  if (!parsed.ok) throw new InvalidStateError(`Version ${version.version} of the workflow has an invalid definition`);
  if (input.fromFailedStep && (inputEdited || version.version !== original.workflowVersion)) {
    throw new ValidationError([
      {
        path: ["fromFailedStep"],
        message: "reuses the original's step outputs, so it needs the original's version and input",
      },
    ]);
  }

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
    workflowVersion: version.version,
    steps: parsed.value.steps,
    input: inputEdited ? input.input : (original.input ?? undefined),
    idempotencyKey: null,
    externalId: original.externalId,
    triggerEvent: original.triggerEvent,
    triggerSource: "RETRY",
    startedBy: actor ?? SYSTEM_ACTORS.retry,
    ...(automatic ? {} : { retryOptions: { useLatestVersion, inputEdited } }),
    attempt: original.attempt + 1,
    // The retry replaces the scheduled one; an automatic retry only runs while still scheduled.
    retryOf: { id: original.id, onlyIfScheduled: automatic },
    reuse,
    ...(alongside ? { alongside } : {}),
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
  // One statement, as for bulk DELETE and retention: the row goes, the rollups count it and its
  // steps out, and the change log records that it went (delete-executions.ts).
  const [deleted] = isUuid(input.id)
    ? await s.db.$queryRaw<{ count: number }[]>`
        WITH t AS (SELECT ${input.id}::uuid AS id, ${s.db.$tenantId}::uuid AS tenant),
        ${Prisma.raw(deleteFinishedCtes("t", "(SELECT tenant FROM t)"))}
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
  return retryRun(s, { id: executionId }, null);
}
