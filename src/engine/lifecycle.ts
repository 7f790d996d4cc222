// The transitions that start and stop executions from outside a worker: create (with its first
// event and its job, one statement), cancel, pause and resume. services/ validates and calls these.
import { randomUUID } from "node:crypto";
import { InvalidStateError, NotFoundError } from "../errors.ts";
import type { CancellationRegistry } from "./cancellations.ts";
import type { EngineObserver } from "./observer.ts";
import { type Actor, type EngineEvent, type Json, makeEvent, type StepStatus, type TriggerSource } from "./events.ts";
import { type ParseResult, parseWorkflowDefinition } from "./definition.ts";
import { planBatches } from "./plan.ts";
import type { ExecutionRecord } from "./run-state.ts";
import type { Alongside, CreateResult, EmitResult, NewExecution, NewStep, SystemStore } from "./store/store.ts";
import { decideTrigger } from "./triggers.ts";

export type LifecycleDeps = {
  store: SystemStore;
  publish: (events: EngineEvent[]) => void;
  cancellations: CancellationRegistry;
  /** How long a new run's job may wait before the sweeper queues it again (the worker's lease time). */
  leaseMs: number;
  now: () => number;
  /** Told of runs cancelled after they started (metrics); default: nobody. */
  observer?: EngineObserver;
};

export type CreateSpec = {
  workflowId: string;
  workflowVersion: number;
  steps: readonly { id: string; name?: string; type: string; critical: boolean; dependsOn: readonly string[] }[];
  input: unknown;
  idempotencyKey: string | null;
  externalId?: string | null;
  triggerEvent: string | null;
  triggerSource: TriggerSource;
  /** Who started it: from the credentials, or a SYSTEM actor (SYSTEM_ACTORS). */
  startedBy: Actor;
  /** For a retry: how it was asked for, recorded in its EXECUTION_QUEUED event. */
  retryOptions?: { useLatestVersion: boolean; inputEdited: boolean };
  attempt?: number;
  retryOf?: { id: string; onlyIfScheduled: boolean };
  /** Refuse (stale-version) unless the workflow is active and workflowVersion is its current version. */
  requireCurrentVersion?: boolean;
  /** The run context to start with (a retry from its failed step keeps what reused steps wrote). */
  context?: Json;
  /** Steps whose results a retry reuses, by key (their batches are complete). */
  reuse?: ReadonlyMap<string, { output: Json | null; status: "COMPLETED" | "SKIPPED"; branchTaken: string | null }>;
  /** Committed with the new run (store.ts); events are published after that commit. */
  alongside?: Alongside;
};

export type EmitSpec = {
  name: string;
  data: unknown;
  idempotencyKey: string | null;
  externalId: string | null;
  startedBy: Actor;
};

export type StartableWorkflow = { id: string; name: string; isActive: boolean; version: number; definition: ParseResult };

export type Lifecycle = {
  /**
   * The workflow's current version and its parsed definition, from a cache unless `fresh`; null when
   * not found. A cached answer may be stale: create with `requireCurrentVersion` to find out.
   */
  workflow(tenantId: string, workflowId: string, options?: { fresh?: boolean }): Promise<StartableWorkflow | null>;
  create(tenantId: string, spec: CreateSpec): Promise<CreateResult>;
  /**
   * Starts, in one transaction, a run of every active workflow listening to `name` whose trigger
   * conditions pass on `data`; the others are skipped with a reason. With an idempotencyKey seen
   * before nothing starts, and the first call's answer is returned (`replayed`).
   */
  emit(tenantId: string, input: EmitSpec): Promise<EmitResult>;
  /** Throws NotFoundError for an unknown (or another tenant's) execution, InvalidStateError for a finished one. */
  cancel(tenantId: string, input: { id: string; reason: string; by: Actor; alongside?: Alongside }): Promise<ExecutionRecord>;
  /**
   * PAUSED at once when no worker holds the run; otherwise its worker is asked to pause it once its
   * running steps finished (the record returned is then still RUNNING). NotFoundError, or
   * InvalidStateError for a finished or already paused run.
   */
  pause(tenantId: string, input: { id: string; reason: string | null; by: string }): Promise<ExecutionRecord>;
  /** PAUSED → RUNNING (or PENDING if it never started) on any worker. InvalidStateError unless PAUSED. */
  resume(tenantId: string, input: { id: string; by: string }): Promise<ExecutionRecord>;
};

// Workflows read for starting runs, with their parsed definitions; bounded, oldest out first. An
// entry may be stale (a new version, deactivated, deleted): the create statement checks the
// version and isActive itself, and a refused start reads the workflow again.
const WORKFLOW_CACHE_SIZE = 1_000;

/** The rows a new run is created with: its batches, PENDING (or reused) steps and EXECUTION_QUEUED. */
function newExecution(tenantId: string, spec: CreateSpec, at: Date, leaseMs: number): NewExecution {
  const id = randomUUID();
  const layers = planBatches(spec.steps);
  const order = new Map(spec.steps.map((step, index) => [step.id, index]));
  const batches = layers.map((keys, index) => ({
    id: randomUUID(),
    index,
    status: (keys.every((k) => spec.reuse?.has(k)) ? "COMPLETED" : "PENDING") as StepStatus,
  }));
  const steps: NewStep[] = layers.flatMap((keys, b) =>
    keys.map((key) => {
      const def = spec.steps.find((d) => d.id === key) as CreateSpec["steps"][number];
      const prior = spec.reuse?.get(key);
      return {
        id: randomUUID(),
        batchId: (batches[b] as { id: string }).id,
        key,
        name: def.name ?? key,
        type: def.type,
        index: order.get(key) as number,
        critical: def.critical,
        status: prior?.status ?? "PENDING",
        output: prior?.output ?? null,
        branchTaken: prior?.branchTaken ?? null,
      };
    }),
  );
  const queued = {
    triggerSource: spec.triggerSource,
    startedBy: { ...spec.startedBy },
    ...(spec.retryOptions ? { retry: spec.retryOptions } : {}),
  };
  const event = makeEvent({ id, tenantId, status: "PENDING" }, 1, "EXECUTION_QUEUED", queued, at);
  return {
    id,
    workflowId: spec.workflowId,
    workflowVersion: spec.workflowVersion,
    triggerSource: spec.triggerSource,
    triggerEvent: spec.triggerEvent,
    input: spec.input === undefined ? null : (spec.input as Json),
    context: spec.context ?? {},
    idempotencyKey: spec.idempotencyKey,
    externalId: spec.externalId ?? null,
    startedBy: spec.startedBy,
    attempt: spec.attempt ?? 1,
    retryOfId: spec.retryOf?.id ?? null,
    batches,
    steps,
    event,
    reservedUntil: new Date(at.getTime() + leaseMs),
    claimOriginal: spec.retryOf ?? null,
    requireCurrentVersion: spec.requireCurrentVersion ?? false,
    ...(spec.alongside ? { alongside: spec.alongside } : {}),
  };
}

export function createLifecycle(deps: LifecycleDeps): Lifecycle {
  const workflows = new Map<string, Promise<StartableWorkflow | null>>();
  return {
    workflow(tenantId, workflowId, { fresh = false } = {}) {
      const key = `${tenantId}:${workflowId}`;
      const cached = fresh ? undefined : workflows.get(key);
      if (cached) return cached;
      // The promise is what is kept, so concurrent starts of one workflow share one read.
      const read = deps.store
        .tenant(tenantId)
        .workflow(workflowId)
        .then((row) => (row ? { ...row, definition: parseWorkflowDefinition(row.definition) } : null));
      if (workflows.size >= WORKFLOW_CACHE_SIZE) workflows.delete(workflows.keys().next().value as string);
      workflows.set(key, read);
      read.then(
        (found) => found || workflows.delete(key),
        () => workflows.delete(key),
      );
      return read;
    },

    async create(tenantId, spec) {
      const execution = newExecution(tenantId, spec, new Date(deps.now()), deps.leaseMs);
      const result = await deps.store.tenant(tenantId).create(execution);
      if (result.kind === "created") deps.publish([execution.event]);
      return result;
    },

    async emit(tenantId, input) {
      const at = new Date(deps.now());
      const result = await deps.store.tenant(tenantId).emit({
        name: input.name,
        idempotencyKey: input.idempotencyKey,
        plan(listeners) {
          const executions: NewExecution[] = [];
          const skipped: { workflowId: string; reason: string }[] = [];
          for (const listener of listeners) {
            const decision = decideTrigger({ ...listener, definition: parseWorkflowDefinition(listener.definition) }, input.data);
            if (!decision.start) {
              skipped.push({ workflowId: listener.id, reason: decision.reason });
              continue;
            }
            const spec: CreateSpec = {
              workflowId: listener.id,
              workflowVersion: listener.version,
              steps: decision.definition.steps,
              input: input.data,
              idempotencyKey: null,
              externalId: input.externalId,
              triggerEvent: input.name,
              triggerSource: "EVENT",
              startedBy: input.startedBy,
            };
            executions.push(newExecution(tenantId, spec, at, deps.leaseMs));
          }
          return { executions, skipped };
        },
      });
      if (result.kind === "emitted") deps.publish(result.events);
      return result;
    },

    async cancel(tenantId, input) {
      const result = await deps.store.tenant(tenantId).cancel(input.id, {
        reason: input.reason,
        by: input.by,
        now: new Date(deps.now()),
        ...(input.alongside ? { alongside: input.alongside } : {}),
      });
      if (result.kind === "not-found") throw new NotFoundError("Execution", input.id);
      if (result.kind === "finished") {
        throw new InvalidStateError(`The execution already finished (${result.status}); only a queued or running one can be cancelled`);
      }
      deps.publish(result.events);
      deps.cancellations.abort(input.id, input.reason);
      const { startedAt, durationMs } = result.execution;
      if (startedAt) deps.observer?.run("CANCELLED", durationMs ?? deps.now() - startedAt.getTime());
      return result.execution;
    },

    async pause(tenantId, input) {
      const now = new Date(deps.now());
      const result = await deps.store.tenant(tenantId).pause(input.id, { reason: input.reason, by: input.by, now });
      if (result.kind === "not-found") throw new NotFoundError("Execution", input.id);
      if (result.kind === "invalid") {
        throw new InvalidStateError(
          result.status === "PAUSED"
            ? "The execution is already paused"
            : `The execution already finished (${result.status}); only a queued or running one can be paused`,
        );
      }
      if (result.kind === "paused") deps.publish(result.events);
      else deps.cancellations.pause(input.id, { reason: input.reason, by: input.by });
      return result.execution;
    },

    async resume(tenantId, input) {
      const now = new Date(deps.now());
      const reservedUntil = new Date(now.getTime() + deps.leaseMs);
      const result = await deps.store.tenant(tenantId).resume(input.id, { by: input.by, now, reservedUntil });
      if (result.kind === "not-found") throw new NotFoundError("Execution", input.id);
      if (result.kind === "invalid") {
        throw new InvalidStateError(`Only a paused execution can be resumed (this one is ${result.status})`);
      }
      deps.publish(result.events);
      return result.execution;
    },
  };
}
