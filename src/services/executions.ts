// Starting, cancelling and retrying executions. Each writes the execution's rows, its events and
// (for start/retry) the job that runs it in one transaction; events are published after commit.
// `s.db` is scoped to one tenant (db/tenant-scope.ts): every row read or written is that tenant's.
import { Prisma, type TriggerSource } from "@prisma/client";
import type { TenantDb } from "../db/tenant-scope.ts";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import { planBatches } from "../engine/plan.ts";
import type { CancellationRegistry } from "../engine/runner.ts";
import { appendEvent, cancelOpenSteps, type EngineEvent, inTransaction, type Tx } from "../engine/store.ts";
import { InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";

export type ExecutionServices = {
  db: TenantDb;
  enqueue: (tx: Tx, execution: { id: string; tenantId: string }, runAt?: Date) => Promise<void>;
  publish: (events: EngineEvent[]) => void;
  cancellations: CancellationRegistry;
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

const FINISHED = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"] as const;

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

/** Starts a run; the same idempotencyKey on the same workflow returns the existing run. */
export async function startExecution(s: ExecutionServices, input: StartInput) {
  const key = input.idempotencyKey?.trim() || null;
  if (key && key.length > 200) {
    throw new ValidationError([{ path: ["idempotencyKey"], message: "must be at most 200 characters" }]);
  }
  const workflow = await s.db.workflow.findFirst({
    where: { id: input.workflowId },
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  if (!workflow) throw new NotFoundError("Workflow", input.workflowId);
  if (key) {
    const existing = await s.db.execution.findUnique({ where: { workflowId_idempotencyKey: { workflowId: workflow.id, idempotencyKey: key } } });
    if (existing) return existing;
  }
  if (!workflow.isActive) throw new InvalidStateError(`Workflow "${workflow.name}" is inactive`);
  const parsed = parseWorkflowDefinition(workflow.versions[0]?.definition);
  if (!parsed.ok) throw new InvalidStateError(`Workflow "${workflow.name}" has an invalid definition`);

  try {
    return await createRun(s, {
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      steps: parsed.value.steps,
      input: input.input,
      idempotencyKey: key,
      triggerEvent: input.triggerEvent ?? null,
      triggerSource: input.triggerSource ?? "API",
    });
  } catch (err) {
    // Two concurrent starts with one key: the loser returns the winner's run.
    if (key && isUniqueViolation(err)) {
      return s.db.execution.findUniqueOrThrow({ where: { workflowId_idempotencyKey: { workflowId: workflow.id, idempotencyKey: key } } });
    }
    throw err;
  }
}

type RunSpec = {
  workflowId: string;
  workflowVersion: number;
  steps: readonly { id: string; name?: string; type: string; critical: boolean; dependsOn: readonly string[] }[];
  input: unknown;
  idempotencyKey?: string | null;
  triggerEvent: string | null;
  triggerSource: TriggerSource;
  attempt?: number;
  retryOfId?: string;
  /** Steps whose results a retry reuses, by key (their batches are complete). */
  reuse?: Map<string, { output: Prisma.JsonValue; status: "COMPLETED" | "SKIPPED"; branchTaken: string | null }>;
};

/** `claim` runs first in the transaction; when it returns false nothing is created. */
async function createRun(s: ExecutionServices, spec: RunSpec, claim?: (tx: Tx) => Promise<boolean>) {
  const layers = planBatches(spec.steps);
  const order = new Map(spec.steps.map((step, index) => [step.id, index]));
  // The types want tenantId on every row; the scoped client would stamp it anyway (and refuses another).
  const tenantId = s.db.$tenantId;
  const { value, events } = await inTransaction(s.db, async (tx, events) => {
    if (claim && !(await claim(tx))) throw new RetryNotScheduledError();
    const execution = await tx.execution.create({
      data: {
        tenantId,
        workflowId: spec.workflowId,
        workflowVersion: spec.workflowVersion,
        status: "PENDING",
        triggerSource: spec.triggerSource,
        triggerEvent: spec.triggerEvent,
        input: spec.input === undefined ? Prisma.DbNull : (spec.input as Prisma.InputJsonValue),
        idempotencyKey: spec.idempotencyKey ?? null,
        attempt: spec.attempt ?? 1,
        retryOfId: spec.retryOfId ?? null,
      },
    });
    for (const [index, keys] of layers.entries()) {
      const reused = keys.every((k) => spec.reuse?.has(k));
      const batch = await tx.batch.create({
        data: { tenantId, executionId: execution.id, index, status: reused ? "COMPLETED" : "PENDING" },
      });
      await tx.step.createMany({
        data: keys.map((key) => {
          const def = spec.steps.find((d) => d.id === key) as RunSpec["steps"][number];
          const prior = spec.reuse?.get(key);
          return {
            tenantId,
            executionId: execution.id,
            batchId: batch.id,
            key,
            name: def.name ?? key,
            type: def.type,
            index: order.get(key) as number,
            critical: def.critical,
            status: prior?.status ?? "PENDING",
            output: prior?.output ?? undefined,
            branchTaken: prior?.branchTaken ?? null,
          };
        }),
      });
    }
    events.push(await appendEvent(tx, execution, { type: "EXECUTION_QUEUED", data: { triggerSource: spec.triggerSource } }));
    await s.enqueue(tx, execution);
    return execution;
  });
  s.publish(events);
  return value;
}

/** Cancels a queued or running execution: cooperative, running actions are aborted. */
export async function cancelExecution(s: ExecutionServices, actor: Actor, input: { id: string; reason?: string | null }) {
  const reason = input.reason?.trim() || "cancelled";
  const { value, events } = await inTransaction(s.db, async (tx, events) => {
    // Lock the row so a concurrent finish cannot slip between the check and the change.
    const [row] = await tx.$queryRaw<{ status: string; tenantId: string; startedAt: Date | null }[]>`
      SELECT status::text, "tenantId"::text, "startedAt" FROM "Execution"
      WHERE id = ${input.id}::uuid AND "tenantId" = ${s.db.$tenantId}::uuid FOR UPDATE`;
    if (!row) throw new NotFoundError("Execution", input.id);
    if ((FINISHED as readonly string[]).includes(row.status)) {
      throw new InvalidStateError(`The execution already finished (${row.status}); only a queued or running one can be cancelled`);
    }
    const execution = { id: input.id, tenantId: row.tenantId };
    const now = new Date();
    events.push(...(await cancelOpenSteps(tx, execution, () => true, reason, now)));
    events.push(
      await appendEvent(tx, execution, { type: "EXECUTION_CANCELLED", data: { reason, by: actor.name } }, {
        status: "CANCELLED",
        cancelReason: reason,
        cancelledBy: actor.name,
        completedAt: now,
        durationMs: row.startedAt ? now.getTime() - row.startedAt.getTime() : null,
        errorMessage: `Cancelled by ${actor.name}: ${reason}`,
        errorCode: "CANCELLED",
      }),
    );
    return tx.execution.findUniqueOrThrow({ where: { id: input.id } });
  });
  s.publish(events);
  s.cancellations.abort(input.id, reason);
  return value;
}

/**
 * A new execution that runs the same workflow version and input again (attempt + 1). With
 * fromFailedStep, batches that completed are reused: their steps keep their outputs and the run
 * continues from the first batch that did not complete.
 */
export async function retryExecution(
  s: ExecutionServices,
  input: { id: string; fromFailedStep?: boolean | null },
  options: { automatic?: boolean } = {},
) {
  const original = await s.db.execution.findFirst({
    where: { id: input.id },
    include: { batches: { orderBy: { index: "asc" }, include: { steps: true } } },
  });
  if (!original) throw new NotFoundError("Execution", input.id);
  if (!["FAILED", "CANCELLED", "TIMED_OUT"].includes(original.status)) {
    throw new InvalidStateError(`Only a failed, cancelled or timed-out execution can be retried (this one is ${original.status})`);
  }
  const version = await s.db.workflowVersion.findUniqueOrThrow({
    where: { workflowId_version: { workflowId: original.workflowId, version: original.workflowVersion } },
  });
  const parsed = parseWorkflowDefinition(version.definition);
  if (!parsed.ok) throw new InvalidStateError("The execution's workflow version has an invalid definition");

  const reuse: NonNullable<RunSpec["reuse"]> = new Map();
  if (input.fromFailedStep) {
    for (const batch of original.batches) {
      if (batch.status !== "COMPLETED" || batch.steps.some((st) => st.status !== "COMPLETED" && st.status !== "SKIPPED")) break;
      for (const st of batch.steps) {
        reuse.set(st.key, { output: st.output, status: st.status as "COMPLETED" | "SKIPPED", branchTaken: st.branchTaken });
      }
    }
  }
  return createRun(
    s,
    {
      workflowId: original.workflowId,
      workflowVersion: original.workflowVersion,
      steps: parsed.value.steps,
      input: original.input ?? undefined,
      triggerEvent: original.triggerEvent,
      triggerSource: "RETRY",
      attempt: original.attempt + 1,
      retryOfId: original.id,
      reuse,
    },
    // The retry replaces the scheduled one; an automatic retry only runs while still scheduled.
    async (tx) => {
      const { count } = await tx.execution.updateMany({
        where: { id: original.id, ...(options.automatic ? { nextRetryAt: { not: null } } : {}) },
        data: { nextRetryAt: null },
      });
      return count === 1;
    },
  );
}

/**
 * Deletes a finished execution with its batches, steps, events and logs (retries of it keep
 * running, with retryOf cleared). A queued or running one must be cancelled first: its worker
 * would otherwise be writing to rows that are gone.
 */
export async function deleteExecution(s: Pick<ExecutionServices, "db">, input: { id: string }): Promise<{ id: string }> {
  const { count } = await s.db.execution.deleteMany({ where: { id: input.id, status: { in: [...FINISHED] } } });
  if (count === 1) return { id: input.id };
  const row = await s.db.execution.findUnique({ where: { id: input.id }, select: { status: true } });
  if (!row) throw new NotFoundError("Execution", input.id);
  throw new InvalidStateError(`The execution is ${row.status}; cancel it before deleting it`);
}

/** The job behind a scheduled automatic retry (Execution.nextRetryAt). */
export async function automaticRetry(s: ExecutionServices, executionId: string) {
  const original = await s.db.execution.findUnique({ where: { id: executionId }, select: { nextRetryAt: true } });
  if (!original?.nextRetryAt) return null;
  try {
    return await retryExecution(s, { id: executionId }, { automatic: true });
  } catch (err) {
    if (err instanceof RetryNotScheduledError) return null;
    throw err;
  }
}

class RetryNotScheduledError extends Error {}
