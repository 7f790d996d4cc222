import { randomUUID } from "node:crypto";

// The engine's vocabulary, defined once: statuses, the status sets and predicates everything else
// uses, and the typed event map (event type → the shape of its `data`). The string unions equal the
// database enums (prisma/schema.prisma); engine signatures use these, never Prisma's types.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** PAUSED is not final: no step starts until resumeExecution, and a cancel still ends it. */
export type ExecutionStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT" | "PAUSED";
export type StepStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "SKIPPED" | "CANCELLED";
/** Batches share the step statuses. */
export type BatchStatus = StepStatus;
export type TriggerSource = "MANUAL" | "API" | "EVENT" | "SCHEDULE" | "RETRY";

/**
 * Who did something, recorded on what they changed. USER: a JWT subject (id = `sub`); API_KEY: an
 * API key (id = the key's row id, name = its name); SYSTEM: Stepstream itself (id = which part).
 */
export type ActorKind = "USER" | "API_KEY" | "SYSTEM";
export type Actor = Readonly<{ kind: ActorKind; id: string; name: string | null }>;

/** The parts of Stepstream that start runs by themselves. */
export const SYSTEM_ACTORS = {
  retry: { kind: "SYSTEM", id: "retry", name: "Automatic retry" },
  schedule: { kind: "SYSTEM", id: "schedule", name: "Schedule" },
} as const satisfies Record<string, Actor>;

export const FINISHED_EXECUTION_STATUSES = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"] as const satisfies readonly ExecutionStatus[];
/** What retryExecution accepts. */
export const RETRYABLE_EXECUTION_STATUSES = ["FAILED", "CANCELLED", "TIMED_OUT"] as const satisfies readonly ExecutionStatus[];

export function isFinishedExecution(status: ExecutionStatus): status is (typeof FINISHED_EXECUTION_STATUSES)[number] {
  return (FINISHED_EXECUTION_STATUSES as readonly string[]).includes(status);
}


/** A step or batch that will not change again. */
export function isTerminalStep(status: StepStatus): boolean {
  return status === "COMPLETED" || status === "FAILED" || status === "SKIPPED" || status === "CANCELLED";
}

/** A failure as steps and runs report it; `retryable` decides whether a retry policy applies. */
export type EngineError = { code: string; message: string; retryable: boolean };
export type RunError = { code: string; message: string; stepId?: string };

/** Event type → its `data`. `undefined`: the event carries none. */
export type EventDataMap = {
  /** retry: how a retry was asked for (a later version than the original's, or edited input). */
  EXECUTION_QUEUED: {
    triggerSource: TriggerSource;
    startedBy?: Actor;
    retry?: { useLatestVersion: boolean; inputEdited: boolean };
  };
  EXECUTION_STARTED: undefined;
  /** conditionsPassed false: trigger conditions did not pass and no step ran. */
  EXECUTION_COMPLETED: { conditionsPassed: false } | undefined;
  EXECUTION_FAILED: { error: RunError };
  /** by: the actor's name (or id when it has none); actor: the whole actor. */
  EXECUTION_CANCELLED: { reason: string; by: string; actor?: Actor };
  EXECUTION_TIMED_OUT: { error: RunError };
  BATCH_STARTED: { index: number };
  BATCH_COMPLETED: { index: number; status: BatchStatus };
  /** workerLosses > 0: this attempt is being run again after its worker died. */
  STEP_STARTED: { attempt: number; workerLosses?: number };
  STEP_COMPLETED: undefined;
  STEP_FAILED: { error: EngineError };
  STEP_SKIPPED: { reason: string };
  /** error.code WORKER_LOST: the worker died mid-attempt; the same attempt runs again (workerLosses counts). */
  STEP_RETRYING: { attempt: number; error: EngineError; retryAt: string; workerLosses?: number };
  STEP_CANCELLED: { reason: string };
  /** The run stopped starting steps (its running steps had finished) and gave its worker back. */
  EXECUTION_PAUSED: { reason: string | null; by: string };
  EXECUTION_RESUMED: { by: string };
  /** A step (set_context) wrote these keys of the run's context; `values` is what it wrote. */
  CONTEXT_UPDATED: { values: { [key: string]: Json } };
};

export type EventType = keyof EventDataMap;

/** An event as committed and published: `sequence` is 1, 2, 3… per execution with no gap. */
export type EngineEvent = {
  id: string;
  tenantId: string;
  executionId: string;
  sequence: number;
  type: EventType;
  executionStatus: ExecutionStatus;
  stepId: string | null;
  batchId: string | null;
  at: Date;
  data: Json | null;
};

export type ExecutionRef = { id: string; tenantId: string };

/** A new event of `execution`, numbered after its last one; the caller commits it. */
export function makeEvent<T extends EventType>(
  execution: ExecutionRef & { status: ExecutionStatus },
  sequence: number,
  type: T,
  data: EventDataMap[T],
  at: Date,
  refs: { stepId?: string; batchId?: string } = {},
): EngineEvent {
  return {
    id: randomUUID(),
    tenantId: execution.tenantId,
    executionId: execution.id,
    sequence,
    type,
    executionStatus: execution.status,
    stepId: refs.stepId ?? null,
    batchId: refs.batchId ?? null,
    at,
    data: (data ?? null) as Json | null,
  };
}
