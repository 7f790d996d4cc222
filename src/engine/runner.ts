// Runs an execution forward from whatever state it was persisted in: batch after batch, the steps
// of a batch concurrently. A job calls runExecution; it returns when the run finished, when it
// went to sleep (a continuation job is scheduled), or when another live worker holds it.
import { randomUUID } from "node:crypto";
import type { Prisma, Step } from "@prisma/client";
import { evaluateConditions } from "./conditions.ts";
import { parseWorkflowDefinition, type RetryPolicy, type WorkflowDefinition } from "./definition.ts";
import { runStep, type StepDeps, type StepOutcome } from "./run-step.ts";
import {
  appendEvent,
  cancelOpenSteps,
  claimLease,
  definitionOf,
  type EngineEvent,
  type ExecutionRef,
  inTransaction,
  type LoadedExecution,
  loadExecution,
  releaseLease,
  type Tx,
} from "./store.ts";

export type RunnerDeps = StepDeps & {
  /** Queues the automatic retry of a failed or timed-out execution for `runAt`. */
  scheduleRetry: (tx: Tx, execution: ExecutionRef, runAt: Date) => Promise<void>;
  /** How long a lease lasts without renewal; a dead worker's runs resume after at most this. */
  leaseMs: number;
  /** Aborts in-flight actions of an execution cancelled from this process at once. */
  cancellations: CancellationRegistry;
};

export type RunResult = "finished" | "sleeping" | "not-claimed";

const TERMINAL = new Set<Step["status"]>(["COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]);

export async function runExecution(deps: RunnerDeps, executionId: string): Promise<RunResult> {
  const owner = randomUUID();
  if (!(await claimLease(deps.db, executionId, owner, deps.leaseMs))) return "not-claimed";
  const abort = new AbortController();
  const unregister = deps.cancellations.register(executionId, abort);
  // Renewing the lease doubles as the cross-process cancellation check: once the execution is no
  // longer PENDING/RUNNING (cancelled elsewhere) renewal fails and the actions are aborted.
  const heartbeat = setInterval(
    () =>
      void claimLease(deps.db, executionId, owner, deps.leaseMs).then(
        (held) => held || abort.abort("lease lost or execution ended"),
        () => {},
      ),
    Math.max(50, Math.floor(deps.leaseMs / 3)),
  );
  try {
    return await advance(deps, executionId, abort);
  } finally {
    clearInterval(heartbeat);
    unregister();
    await releaseLease(deps.db, executionId, owner);
  }
}

async function advance(deps: RunnerDeps, executionId: string, abort: AbortController): Promise<RunResult> {
  let execution = await loadExecution(deps.db, executionId);
  if (!execution || (execution.status !== "PENDING" && execution.status !== "RUNNING")) return "finished";
  const parsed = parseWorkflowDefinition(await definitionOf(deps.db, execution.workflowId, execution.workflowVersion));
  if (!parsed.ok) {
    await finishExecution(deps, execution, "FAILED", { code: "INVALID_DEFINITION", message: parsed.issues[0]?.message ?? "invalid" }, undefined, { maxAttempts: 1, backoffMs: 0 });
    return "finished";
  }
  const definition = parsed.value;

  if (execution.status === "PENDING") {
    const started = await startExecution(deps, execution, definition);
    if (started === "finished") return "finished";
    execution = (await loadExecution(deps.db, executionId)) as LoadedExecution;
  }

  // The whole-run timeout counts from the first start, across sleeps and worker restarts.
  const deadline = definition.timeoutMs && execution.startedAt ? execution.startedAt.getTime() + definition.timeoutMs : null;
  const timer = deadline ? setTimeout(() => abort.abort("timeout"), Math.max(0, deadline - deps.services.now())) : null;
  // A sleeping run must wake by its deadline to time out on time, not when its delay ends.
  const stepDeps: RunnerDeps = deadline
    ? { ...deps, schedule: (tx, ref, at) => deps.schedule(tx, ref, new Date(Math.min(at.getTime(), deadline))) }
    : deps;
  try {
    for (;;) {
      execution = (await loadExecution(deps.db, executionId)) as LoadedExecution;
      if (execution.status !== "RUNNING") return "finished";
      if (abort.signal.aborted) return await stopAborted(deps, execution, abort.signal.reason, definition);
      // Checked from the persisted state, so a run whose worker died right after a critical step
      // failed is failed on recovery too, not carried on into the next batch.
      const failed = execution.steps.find((s) => s.status === "FAILED" && s.critical);
      if (failed) {
        await finishExecution(
          deps,
          execution,
          "FAILED",
          { code: "STEP_FAILED", message: `step "${failed.key}" failed: ${failed.error ?? "unknown error"}`, stepId: failed.id },
          undefined,
          definition.retry,
        );
        return "finished";
      }
      const batch = execution.batches.find((b) => !TERMINAL.has(b.status));
      if (!batch) {
        await finishExecution(deps, execution, "COMPLETED");
        return "finished";
      }
      if (batch.status === "PENDING") {
        await write(deps, (tx, events) =>
          tx.batch
            .update({ where: { id: batch.id }, data: { status: "RUNNING", startedAt: new Date(deps.services.now()) } })
            .then(async () => {
              events.push(await appendEvent(tx, execution as LoadedExecution, { type: "BATCH_STARTED", batchId: batch.id, data: { index: batch.index } }));
            }),
        );
      }
      const outcome = await runBatch(stepDeps, execution, definition, batch.id, abort.signal);
      if (outcome === "sleeping") return "sleeping";
      // A critical failure is handled at the top of the loop (its siblings were aborted).
      if (abort.signal.aborted || outcome === "critical-failure") continue;
      await completeBatch(deps, execution, batch.id);
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function startExecution(deps: RunnerDeps, execution: LoadedExecution, definition: WorkflowDefinition) {
  const conditions = evaluateConditions(definition.trigger?.conditions, execution.input);
  await write(deps, async (tx, events) => {
    events.push(
      await appendEvent(tx, execution, { type: "EXECUTION_STARTED" }, { status: "RUNNING", startedAt: new Date(deps.services.now()) }),
    );
  });
  if (conditions.passed) return "started";
  await write(deps, async (tx, events) => {
    await tx.logEntry.create({
      data: {
        tenantId: execution.tenantId,
        executionId: execution.id,
        level: "INFO",
        message: "Trigger conditions did not pass; no step ran",
        data: conditions.results as unknown as Prisma.InputJsonValue,
      },
    });
    for (const step of execution.steps) {
      await tx.step.update({ where: { id: step.id }, data: { status: "SKIPPED", branchTaken: "trigger conditions did not pass" } });
      events.push(await appendEvent(tx, execution, { type: "STEP_SKIPPED", stepId: step.id, batchId: step.batchId }));
    }
    await tx.batch.updateMany({ where: { executionId: execution.id }, data: { status: "SKIPPED" } });
  });
  await finishExecution(deps, execution, "COMPLETED", undefined, {
    conditionsPassed: false,
    conditions: conditions.results as unknown as Prisma.InputJsonValue,
  });
  return "finished";
}

type BatchOutcome = "done" | "critical-failure" | "sleeping";

async function runBatch(
  deps: RunnerDeps,
  execution: LoadedExecution,
  definition: WorkflowDefinition,
  batchId: string,
  runSignal: AbortSignal,
): Promise<BatchOutcome> {
  // A failed critical step cancels its still-running siblings at once.
  const batchAbort = new AbortController();
  const signal = AbortSignal.any([runSignal, batchAbort.signal]);
  const byKey = new Map(execution.steps.map((s) => [s.key, s]));
  const outputs = Object.fromEntries(
    execution.steps.filter((s) => s.status === "COMPLETED").map((s) => [s.key, { output: s.output }]),
  );
  const scope = {
    input: execution.input,
    steps: outputs,
    execution: { id: execution.id },
    workflow: { name: execution.workflow.name, version: execution.workflowVersion },
  };
  const steps = execution.steps.filter((s) => s.batchId === batchId && !TERMINAL.has(s.status));
  const outcomes = await Promise.all(
    steps.map(async (step): Promise<[Step, StepOutcome]> => {
      const stepDefinition = definition.steps.find((d) => d.id === step.key);
      if (!stepDefinition) throw new Error(`step ${step.key} is not in the definition`);
      const outcome = await runStep(deps, {
        execution: { id: execution.id, tenantId: execution.tenantId, attempt: execution.attempt, workflowName: execution.workflow.name },
        step,
        definition: stepDefinition,
        dependencies: stepDefinition.dependsOn.map((key) => ({ key, status: byKey.get(key)?.status ?? "PENDING" })),
        scope,
        signal,
      });
      if (outcome === "failed" && step.critical) batchAbort.abort("critical sibling failed");
      return [step, outcome];
    }),
  );
  if (batchAbort.signal.aborted) return "critical-failure";
  if (outcomes.some(([, o]) => o === "sleeping")) return "sleeping";
  return "done";
}

async function completeBatch(deps: RunnerDeps, execution: LoadedExecution, batchId: string) {
  await write(deps, async (tx, events) => {
    const steps = await tx.step.findMany({ where: { batchId }, select: { status: true } });
    const batch = await tx.batch.findUniqueOrThrow({ where: { id: batchId } });
    const completedAt = new Date(deps.services.now());
    const status = steps.some((s) => s.status === "FAILED")
      ? "FAILED"
      : steps.every((s) => s.status === "SKIPPED")
        ? "SKIPPED"
        : "COMPLETED";
    await tx.batch.update({
      where: { id: batchId },
      data: { status, completedAt, durationMs: batch.startedAt ? completedAt.getTime() - batch.startedAt.getTime() : 0 },
    });
    events.push(await appendEvent(tx, execution, { type: "BATCH_COMPLETED", batchId, data: { index: batch.index, status } }));
  });
}

/** Cancelled runs were already marked by the canceller; a timed-out run is marked here. */
async function stopAborted(
  deps: RunnerDeps,
  execution: LoadedExecution,
  reason: unknown,
  definition: WorkflowDefinition,
): Promise<RunResult> {
  if (reason !== "timeout") return "finished";
  await finishExecution(deps, execution, "TIMED_OUT", { code: "TIMEOUT", message: "the run exceeded its timeoutMs" }, undefined, definition.retry);
  return "finished";
}

// Without a `retry` in the definition a failed or timed-out run is retried up to 3 times, after
// 1, 5 and 15 minutes (4 attempts in all). A definition's `retry` replaces this policy.
export const DEFAULT_RUN_RETRY_DELAYS_MS = [60_000, 300_000, 900_000] as const;
const DEFAULT_RUN_MAX_ATTEMPTS = DEFAULT_RUN_RETRY_DELAYS_MS.length + 1;

/** When the automatic retry of a run that just ended as `attempt` is due, or null for none. */
export function nextRetryAt(attempt: number, policy: RetryPolicy | undefined, now: number): Date | null {
  const maxAttempts = policy?.maxAttempts ?? DEFAULT_RUN_MAX_ATTEMPTS;
  if (attempt >= maxAttempts) return null;
  const delay = policy
    ? policy.backoffMs * (policy.factor ?? 1) ** (attempt - 1)
    : (DEFAULT_RUN_RETRY_DELAYS_MS[attempt - 1] ?? DEFAULT_RUN_RETRY_DELAYS_MS.at(-1) ?? 0);
  return new Date(now + delay);
}

async function finishExecution(
  deps: Pick<RunnerDeps, "db" | "publish" | "services" | "scheduleRetry">,
  execution: LoadedExecution,
  status: "COMPLETED" | "FAILED" | "TIMED_OUT",
  error?: { code: string; message: string; stepId?: string },
  output?: Prisma.InputJsonValue,
  retryPolicy?: RetryPolicy,
): Promise<void> {
  await write(deps, async (tx, events) => {
    // Open steps are cancelled in the same transaction as the final event: a crash in between
    // must not leave cancelled steps under a RUNNING execution (recovery would complete it).
    if (status !== "COMPLETED") {
      events.push(...(await cancelOpenSteps(tx, execution, () => true, error?.message ?? status, new Date(deps.services.now()))));
    }
    const steps = await tx.step.findMany({ where: { executionId: execution.id }, select: { key: true, output: true, status: true } });
    const completedAt = new Date(deps.services.now());
    const startedAt = execution.startedAt ?? completedAt;
    const type = status === "COMPLETED" ? "EXECUTION_COMPLETED" : status === "FAILED" ? "EXECUTION_FAILED" : "EXECUTION_TIMED_OUT";
    const retryAt = status === "COMPLETED" ? null : nextRetryAt(execution.attempt, retryPolicy, completedAt.getTime());
    events.push(
      await appendEvent(tx, execution, { type, data: error ? { error } : undefined }, {
        status,
        completedAt,
        durationMs: completedAt.getTime() - startedAt.getTime(),
        output:
          output ?? (Object.fromEntries(steps.filter((s) => s.status === "COMPLETED").map((s) => [s.key, s.output])) as Prisma.InputJsonValue),
        errorMessage: error?.message ?? null,
        errorCode: error?.code ?? null,
        errorStepId: error?.stepId ?? null,
        nextRetryAt: retryAt,
      }),
    );
    if (retryAt) await deps.scheduleRetry(tx, execution, retryAt);
  });
}

async function write(deps: Pick<StepDeps, "db" | "publish">, fn: (tx: Tx, events: EngineEvent[]) => Promise<unknown>) {
  const { events } = await inTransaction(deps.db, fn);
  deps.publish(events);
}

export type CancellationRegistry = {
  register(executionId: string, controller: AbortController): () => void;
  abort(executionId: string, reason: string): void;
};

export function createCancellationRegistry(): CancellationRegistry {
  const running = new Map<string, Set<AbortController>>();
  return {
    register(executionId, controller) {
      const set = running.get(executionId) ?? new Set();
      set.add(controller);
      running.set(executionId, set);
      return () => {
        set.delete(controller);
        if (set.size === 0) running.delete(executionId);
      };
    },
    abort(executionId, reason) {
      for (const controller of running.get(executionId) ?? []) controller.abort(reason);
    },
  };
}
