// The engine's one door to the database, as domain-shaped operations. The implementation is
// pg-store.ts; nothing else in the engine (or outside it) writes run state.
//
// Tenancy by construction: a TenantStore is made for one tenant, and every statement it runs names
// that tenant, so a run of another tenant is simply not found. Only the sweeper (SystemStore) reads
// across tenants, and it writes nothing but lease columns and jobs that carry each run's own tenant
// — and the rollup fold, which moves each delta into its own tenant's rollup rows.
import type { Actor, EngineEvent, ExecutionRef, Json, StepStatus, TriggerSource } from "../events.ts";
import type { BatchState, ExecutionRecord, ExecutionState, PauseRequest, RunState, StepState } from "../run-state.ts";
import type { Session } from "./sql.ts";

/**
 * Statements that commit in the same transaction as a change the engine makes (create, cancel),
 * given the execution as changed; throwing undoes the change. What a bulk operation uses to mark
 * an execution done together with acting on it, so that no execution is acted on twice.
 */
export type Alongside = (tx: Session, execution: ExecutionRecord) => Promise<void>;

export type NewLog = {
  stepId: string | null;
  level: "DEBUG" | "INFO" | "WARN" | "ERROR";
  message: string;
  data?: Json;
  at: Date;
};

/**
 * What one commit of a running execution writes, all or nothing. `execution` is the run's full
 * in-memory state (its lastEventSequence already counts `events`); `steps` carry the attempt the
 * database must still hold (compare-and-set), so a late write from a presumed-dead worker is refused.
 */
export type RunCommit = {
  execution: ExecutionState;
  /** The sequence the database must still have: anyone else's event in between refuses the commit. */
  expectedSequence: number;
  steps: { state: StepState; expectedAttempt: number }[];
  batches: BatchState[];
  events: EngineEvent[];
  logs: NewLog[];
  /** Queue a run of this execution at that time (a wake-up). */
  wakeAt: Date | null;
  /** Queue the automatic retry of this (finished) execution at that time. */
  retryAt: Date | null;
  /** Give the lease back; until `reservedUntil` the sweeper leaves the run to its queued job. */
  release: { reservedUntil: Date | null } | null;
};

export type NewStep = {
  id: string;
  batchId: string;
  key: string;
  name: string;
  type: string;
  index: number;
  critical: boolean;
  status: StepStatus;
  output: Json | null;
  branchTaken: string | null;
};

export type NewExecution = {
  id: string;
  workflowId: string;
  workflowVersion: number;
  triggerSource: TriggerSource;
  triggerEvent: string | null;
  input: Json | null;
  context: Json;
  idempotencyKey: string | null;
  externalId: string | null;
  startedBy: Actor;
  attempt: number;
  retryOfId: string | null;
  batches: { id: string; index: number; status: StepStatus }[];
  steps: NewStep[];
  /** EXECUTION_QUEUED, sequence 1; its `at` is the run's createdAt. */
  event: EngineEvent;
  /** Until then the sweeper leaves the new run to its queued job. */
  reservedUntil: Date;
  /**
   * A retry claims its original in the same transaction: its nextRetryAt is cleared, and with
   * `onlyIfScheduled` nothing is created unless a retry was still scheduled.
   */
  claimOriginal: { id: string; onlyIfScheduled: boolean } | null;
  /** Create only while the workflow is active and `workflowVersion` is still its current version. */
  requireCurrentVersion: boolean;
  /** Committed with the create, only when the execution was created. */
  alongside?: Alongside;
};

export type CreateResult =
  | { kind: "created"; execution: ExecutionRecord }
  /** The workflow already has a run with this idempotency key (possibly just committed by another call). */
  | { kind: "duplicate" }
  /** requireCurrentVersion refused: the workflow changed (new version, deactivated, deleted) meanwhile. */
  | { kind: "stale-version" }
  /** claimOriginal refused: the retry was no longer scheduled. */
  | { kind: "not-claimed" };

export type EmitPlan = { executions: NewExecution[]; skipped: { workflowId: string; reason: string }[] };

export type EmitResult =
  | { kind: "emitted"; executions: ExecutionRecord[]; skipped: EmitPlan["skipped"]; events: EngineEvent[] }
  /** The idempotency key was used before: what that call started and skipped (nothing new). */
  | { kind: "replayed"; executionIds: string[]; skipped: EmitPlan["skipped"] };

export type CancelResult =
  | { kind: "cancelled"; execution: ExecutionRecord; events: EngineEvent[] }
  | { kind: "finished"; status: string }
  | { kind: "not-found" };

export type PauseResult =
  /** Nobody held the run: it is PAUSED now. */
  | { kind: "paused"; execution: ExecutionRecord; events: EngineEvent[] }
  /** A worker holds it: it pauses the run once its running steps finished. */
  | { kind: "requested"; execution: ExecutionRecord }
  | { kind: "invalid"; status: string }
  | { kind: "not-found" };

export type ResumeResult =
  | { kind: "resumed"; execution: ExecutionRecord; events: EngineEvent[] }
  | { kind: "invalid"; status: string }
  | { kind: "not-found" };

/** What starting a run needs to know of its workflow: its current version and that version's definition. */
export type WorkflowHead = { id: string; name: string; isActive: boolean; version: number; definition: unknown };

export type TenantStore = {
  readonly tenantId: string;
  /** The workflow's current version with its definition; null when not found. */
  workflow(workflowId: string): Promise<WorkflowHead | null>;
  /** Takes the lease (free, own, or expired) and loads the run; null when it ended or a live worker holds it. */
  claim(executionId: string, owner: string, leaseMs: number): Promise<RunState | null>;
  /**
   * Renews the lease; false once another worker took it or the run ended (e.g. cancelled). Also
   * tells whether a pause was requested meanwhile (pauseExecution from another process).
   */
  renew(executionId: string, owner: string, leaseMs: number): Promise<false | { pause: PauseRequest | null }>;
  release(executionId: string, owner: string): Promise<void>;
  /** One atomic statement; false when refused (lease lost, run ended, or changed by someone else). */
  commit(owner: string, change: RunCommit): Promise<boolean>;
  create(execution: NewExecution): Promise<CreateResult>;
  /**
   * In one transaction: claims the idempotency key (waiting for a concurrent holder to commit),
   * reads the workflows listening to `name` (locked against changes until commit), lets `plan`
   * decide, and creates the runs it asks for. `plan` must be pure: it may run while locks are held.
   */
  emit(input: {
    name: string;
    idempotencyKey: string | null;
    plan: (listeners: WorkflowHead[]) => EmitPlan;
  }): Promise<EmitResult>;
  /** Cancels every open step and batch and the execution, an event each, in one transaction. */
  cancel(executionId: string, input: { reason: string; by: Actor; now: Date; alongside?: Alongside }): Promise<CancelResult>;
  /** Pauses a run nobody holds at once, or asks the worker holding it to (see pause.ts). */
  pause(executionId: string, input: { reason: string | null; by: string; now: Date }): Promise<PauseResult>;
  /** PAUSED → RUNNING (PENDING if it never started), with its event and a queued run, in one transaction. */
  resume(executionId: string, input: { by: string; now: Date; reservedUntil: Date }): Promise<ResumeResult>;
};

export type SystemStore = {
  tenant(tenantId: string): TenantStore;
  /** The tenant of an execution (jobs queued before payloads named it). */
  tenantOf(executionId: string): Promise<string | null>;
  /**
   * Re-queues runs that are not finished and that nobody holds: lease expired (their worker died)
   * or a queued job that nobody took by its reservation (its worker died before claiming). Returns how many.
   */
  sweep(input: { reservationMs: number; limit: number }): Promise<ExecutionRef[]>;
  /** Deletes at most `limit` change-log rows older than `olderThanMs`; returns how many. */
  pruneChanges(input: { olderThanMs: number; limit: number }): Promise<number>;
  /**
   * Folds up to `limit` of the oldest execution rollup deltas into the rollups (one statement; one
   * worker at a time, the others fold 0). Returns how many it folded. See store/rollup.ts.
   */
  compactRollup(limit: number): Promise<number>;
};
