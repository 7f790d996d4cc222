// A run's state as the engine holds it in memory while it holds the run's lease: loaded once when
// the lease is claimed, changed in memory, written back through the store in few statements.
import type { ActorKind, BatchStatus, ExecutionStatus, Json, StepStatus, TriggerSource } from "./events.ts";

/** Every column of an execution row: what create and cancel return to their callers. */
export type ExecutionRecord = {
  id: string;
  tenantId: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  triggerSource: TriggerSource;
  triggerEvent: string | null;
  input: Json | null;
  output: Json | null;
  errorMessage: string | null;
  errorCode: string | null;
  errorStepId: string | null;
  attempt: number;
  retryOfId: string | null;
  nextRetryAt: Date | null;
  idempotencyKey: string | null;
  externalId: string | null;
  startedByKind: ActorKind;
  startedById: string;
  startedByName: string | null;
  cancelReason: string | null;
  cancelledBy: string | null;
  cancelledByKind: ActorKind | null;
  cancelledByName: string | null;
  context: Json;
  pauseRequestedAt: Date | null;
  pauseReason: string | null;
  pausedBy: string | null;
  pausedAt: Date | null;
  pausedMs: number;
  lastEventSequence: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
};

/** The fields of an execution the runner changes. */
export type ExecutionState = {
  id: string;
  tenantId: string;
  workflowId: string;
  workflowName: string;
  workflowVersion: number;
  attempt: number;
  input: Json | null;
  status: ExecutionStatus;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
  output: Json | null;
  errorMessage: string | null;
  errorCode: string | null;
  errorStepId: string | null;
  nextRetryAt: Date | null;
  lastEventSequence: number;
  /** What set_context steps wrote so far (an object of keys). */
  context: { [key: string]: Json };
  /** When the current pause began; null unless the run is PAUSED. */
  pausedAt: Date | null;
  /** Time spent paused before, excluded from the run's timeoutMs. */
  pausedMs: number;
};

/** pauseExecution's request while a worker holds the run: who asked and why. */
export type PauseRequest = { reason: string | null; by: string };

export type BatchState = {
  id: string;
  index: number;
  status: BatchStatus;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
};

export type StepState = {
  id: string;
  key: string;
  batchId: string;
  index: number;
  type: string;
  critical: boolean;
  status: StepStatus;
  attempt: number;
  workerLosses: number;
  input: Json | null;
  output: Json | null;
  error: string | null;
  errorCode: string | null;
  branchTaken: string | null;
  wakeAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
};

export type RunState = {
  execution: ExecutionState;
  /** The definition of the version this run runs, as stored (parsed by the runner). */
  definition: unknown;
  /** Set when a pause was requested: the runner starts no step and pauses once running ones ended. */
  pause: PauseRequest | null;
  batches: BatchState[];
  steps: StepState[];
};
