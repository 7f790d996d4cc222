// The engine's one door to the database. Every state change of an execution, batch or step is
// written together with its event (the next gapless sequence, taken under the execution row's
// lock) in one transaction; callers publish the returned events only after that commit.
import type { ExecutionEventType, ExecutionStatus, Prisma, Step, StepStatus } from "@prisma/client";
import type { Db } from "../db/client.ts";

export type { Db };

export type Tx = Prisma.TransactionClient;

export type EngineEvent = {
  id: string;
  tenantId: string;
  executionId: string;
  sequence: number;
  type: ExecutionEventType;
  executionStatus: ExecutionStatus;
  stepId: string | null;
  batchId: string | null;
  at: Date;
  data: Prisma.JsonValue;
};

export type ExecutionRef = { id: string; tenantId: string };

export type EventInput = {
  type: ExecutionEventType;
  stepId?: string | null;
  batchId?: string | null;
  data?: Prisma.InputJsonValue;
};

/**
 * Appends one event, applying `change` to the execution row in the same statement that takes the
 * next sequence number (so the row lock serialises concurrent writers and sequences stay gapless).
 */
export async function appendEvent(
  tx: Tx,
  execution: ExecutionRef,
  event: EventInput,
  change: Prisma.ExecutionUpdateInput = {},
): Promise<EngineEvent> {
  const row = await tx.execution.update({
    where: { id: execution.id },
    data: { ...change, lastEventSequence: { increment: 1 } },
    select: { lastEventSequence: true, status: true },
  });
  return tx.executionEvent.create({
    data: {
      tenantId: execution.tenantId,
      executionId: execution.id,
      sequence: row.lastEventSequence,
      type: event.type,
      executionStatus: row.status,
      stepId: event.stepId ?? null,
      batchId: event.batchId ?? null,
      data: event.data,
    },
    select: {
      id: true,
      tenantId: true,
      executionId: true,
      sequence: true,
      type: true,
      executionStatus: true,
      stepId: true,
      batchId: true,
      at: true,
      data: true,
    },
  });
}

/** Runs `fn` in a transaction and returns what it returned plus the events it appended. */
export async function inTransaction<T>(
  db: Db,
  fn: (tx: Tx, events: EngineEvent[]) => Promise<T>,
): Promise<{ value: T; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  // maxWait: under a burst (e.g. a thousand subscribers reading) a transaction may wait for a
  // pooled connection longer than Prisma's default 2 s; failing the job then would retry the run.
  const value = await db.$transaction((tx) => fn(tx, events), { timeout: 30_000, maxWait: 15_000 });
  return { value, events };
}

export type LoadedExecution = NonNullable<Awaited<ReturnType<typeof loadExecution>>>;

export function loadExecution(db: Db | Tx, id: string) {
  return db.execution.findUnique({
    where: { id },
    include: {
      workflow: { select: { name: true } },
      batches: { orderBy: { index: "asc" } },
      steps: { orderBy: { index: "asc" } },
    },
  });
}

export async function definitionOf(db: Db | Tx, workflowId: string, version: number): Promise<unknown> {
  const row = await db.workflowVersion.findUnique({
    where: { workflowId_version: { workflowId, version } },
    select: { definition: true },
  });
  return row?.definition ?? null;
}

/** Compare-and-set on a step: only the holder of `attempt` in `from` may move it on. */
export async function transitionStep(
  tx: Tx,
  step: { id: string; attempt: number; from: StepStatus[] },
  data: Prisma.StepUpdateManyMutationInput,
): Promise<boolean> {
  const { count } = await tx.step.updateMany({
    where: { id: step.id, attempt: step.attempt, status: { in: step.from } },
    data,
  });
  return count === 1;
}

/** Takes (or renews) the execution's lease; false when another live worker holds it or it ended. */
export async function claimLease(db: Db, executionId: string, owner: string, leaseMs: number): Promise<boolean> {
  const count = await db.$executeRaw`
    UPDATE "Execution" SET "leaseOwner" = ${owner}, "leaseExpiresAt" = now() + ${leaseMs} * interval '1 millisecond'
    WHERE id = ${executionId}::uuid AND status IN ('PENDING', 'RUNNING')
      AND ("leaseOwner" IS NULL OR "leaseOwner" = ${owner} OR "leaseExpiresAt" < now())`;
  return count === 1;
}

export async function releaseLease(db: Db | Tx, executionId: string, owner: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "Execution" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL
    WHERE id = ${executionId}::uuid AND "leaseOwner" = ${owner}`;
}

/** Executions whose worker stopped renewing its lease: that worker is presumed dead. */
export function expiredLeases(db: Db, limit = 100): Promise<ExecutionRef[]> {
  return db.execution.findMany({
    where: { status: { in: ["PENDING", "RUNNING"] }, leaseExpiresAt: { lt: new Date() } },
    select: { id: true, tenantId: true },
    take: limit,
  });
}

/** Marks every PENDING/RUNNING step matching `which` CANCELLED (and open batches), an event each. */
export async function cancelOpenSteps(
  tx: Tx,
  execution: ExecutionRef,
  which: (step: Step) => boolean,
  reason: string,
  now: Date,
): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const open = await tx.step.findMany({
    where: { executionId: execution.id, status: { in: ["PENDING", "RUNNING"] } },
    orderBy: { index: "asc" },
  });
  for (const step of open.filter(which)) {
    await tx.step.update({ where: { id: step.id }, data: { status: "CANCELLED", completedAt: now, wakeAt: null, error: reason } });
    events.push(await appendEvent(tx, execution, { type: "STEP_CANCELLED", stepId: step.id, batchId: step.batchId, data: { reason } }));
  }
  await tx.batch.updateMany({
    where: { executionId: execution.id, status: { in: ["PENDING", "RUNNING"] }, steps: { none: { status: { in: ["PENDING", "RUNNING"] } } } },
    data: { status: "CANCELLED", completedAt: now },
  });
  return events;
}
