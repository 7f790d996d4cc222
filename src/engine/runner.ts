// Runs an execution forward from whatever state it was persisted in: batch after batch, the steps
// of a batch concurrently. The run is claimed (lease + load) in one statement and then kept in
// memory while the lease is held; changes are committed before an action with side effects
// starts and after it ends, and when the run sleeps or finishes. A job calls run(); it returns
// when the run finished, went to sleep (a wake-up job is queued), or another live worker holds it.
import { randomUUID } from "node:crypto";
import type { CancellationRegistry } from "./cancellations.ts";
import { describeConditions, evaluateConditions } from "./conditions.ts";
import { parseWorkflowDefinition, type RetryPolicy, type WorkflowDefinition } from "./definition.ts";
import { type EngineError, type EngineEvent, isTerminalStep, type Json, type RunError } from "./events.ts";
import { runBatch } from "./run-batch.ts";
import { createRunBuffer, type RunBuffer, RunInterrupted } from "./run-buffer.ts";
import type { PauseRequest } from "./run-state.ts";
import type { StepDeps } from "./run-step.ts";
import type { SystemStore } from "./store/store.ts";
import { batchOutcome, nextRetryAt } from "./transitions/run.ts";

export type RunnerDeps = StepDeps & {
  store: SystemStore;
  publish: (events: EngineEvent[]) => void;
  /** How long a lease lasts without renewal; a dead worker's runs resume after about this. */
  leaseMs: number;
  /** Aborts in-flight actions of an execution cancelled from this process at once. */
  cancellations: CancellationRegistry;
  onError: (message: string, error: unknown) => void;
};

export type RunResult = "finished" | "sleeping" | "paused" | "not-claimed" | "interrupted";

export type Runner = { run(tenantId: string, executionId: string): Promise<RunResult> };

// Definitions of a version never change; parsing one is worth doing once per process.
const DEFINITION_CACHE_SIZE = 1_000;

/**
 * Before a batch starts, a pause requested from another process is looked for when the last look
 * (claim or lease renewal) is older than this: a batch after a long step never starts past a pause,
 * and a run of quick pure steps costs no extra statement.
 */
const PAUSE_CHECK_AFTER_MS = 200;

export function createRunner(deps: RunnerDeps): Runner {
  const definitions = new Map<string, ReturnType<typeof parseWorkflowDefinition>>();
  const parse = (key: string, raw: unknown) => {
    let parsed = definitions.get(key);
    if (!parsed) {
      parsed = parseWorkflowDefinition(raw);
      if (definitions.size >= DEFINITION_CACHE_SIZE) definitions.delete(definitions.keys().next().value as string);
      definitions.set(key, parsed);
    }
    return parsed;
  };

  return {
    async run(tenantId, executionId) {
      const store = deps.store.tenant(tenantId);
      const owner = randomUUID();
      const state = await store.claim(executionId, owner, deps.leaseMs);
      if (!state) return "not-claimed";
      const buffer = createRunBuffer({ store, owner, state, publish: deps.publish, now: deps.services.now });
      const abort = new AbortController();
      const requestPause = (request: PauseRequest) => void (state.pause ??= request);
      const unregister = deps.cancellations.register(executionId, abort, requestPause);
      // Renewing the lease doubles as the cross-process cancellation and pause check: once the
      // execution is no longer open (cancelled elsewhere) or another worker took it, renewal fails
      // and actions abort; a pause requested meanwhile comes back with it.
      let checkedAt = deps.services.now();
      const renew = () =>
        store.renew(executionId, owner, deps.leaseMs).then(
          (held) => {
            if (!held) return abort.abort("lease lost or execution ended");
            checkedAt = deps.services.now();
            if (held.pause) requestPause(held.pause);
          },
          () => {},
        );
      const heartbeat = setInterval(() => void renew(), Math.max(50, Math.floor(deps.leaseMs / 3)));
      const checkPause = async () => {
        if (!state.pause && deps.services.now() - checkedAt > PAUSE_CHECK_AFTER_MS) await renew();
      };
      try {
        const { execution } = state;
        const parsed = parse(`${execution.workflowId}:${execution.workflowVersion}`, state.definition);
        return await advance(deps, buffer, parsed, abort, checkPause);
      } catch (error) {
        if (!(error instanceof RunInterrupted)) throw error;
        // Refused: someone else owns the run now. Failed: the database is away; the lease runs
        // out and the sweeper queues the run again, which then resumes from what was committed.
        if (error.cause) deps.onError(`Run ${executionId} interrupted`, error.cause);
        return "interrupted";
      } finally {
        clearInterval(heartbeat);
        unregister();
        if (!buffer.released) await store.release(executionId, owner).catch(() => {});
      }
    },
  };
}

async function advance(
  deps: RunnerDeps,
  buffer: RunBuffer,
  parsed: ReturnType<typeof parseWorkflowDefinition>,
  abort: AbortController,
  checkPause: () => Promise<void>,
): Promise<RunResult> {
  const { execution } = buffer.state;
  if (!parsed.ok) {
    const message = parsed.issues[0]?.message ?? "invalid";
    return finish(deps, buffer, "FAILED", { code: "INVALID_DEFINITION", message, retryable: false });
  }
  const definition = parsed.value;
  if (execution.status === "PENDING" && !start(deps, buffer, definition)) {
    return finish(deps, buffer, "COMPLETED");
  }

  // The whole-run timeout counts from the first start, across sleeps and worker restarts, but not
  // the time the run spent paused (pausedMs).
  const deadline =
    definition.timeoutMs && execution.startedAt ? execution.startedAt.getTime() + execution.pausedMs + definition.timeoutMs : null;
  const timer = deadline ? setTimeout(() => abort.abort("timeout"), Math.max(0, deadline - deps.services.now())) : null;
  try {
    for (;;) {
      // Checked here too: a run woken at its deadline must not go back to sleep before the timer fires.
      if (deadline !== null && deps.services.now() >= deadline && !abort.signal.aborted) abort.abort("timeout");
      if (abort.signal.aborted) {
        if (abort.signal.reason !== "timeout") return "interrupted";
        const error = { code: "TIMEOUT", message: "the run exceeded its timeoutMs", retryable: true };
        return finish(deps, buffer, "TIMED_OUT", error, { policy: definition.retry });
      }
      // From the persisted state too: a run whose worker died right after a critical step failed.
      const failed = buffer.state.steps.find((s) => s.status === "FAILED" && s.critical);
      if (failed) return finishFailedStep(deps, buffer, definition, failed.id, { code: failed.errorCode ?? "STEP_FAILED", message: failed.error ?? "unknown error", retryable: false });
      const batch = buffer.state.batches.find((b) => !isTerminalStep(b.status));
      if (!batch) return finish(deps, buffer, "COMPLETED");
      await checkPause();
      if (buffer.state.pause) return pause(deps, buffer, buffer.state.pause);
      const result = await runBatch(deps, buffer, definition, batch, abort.signal);
      if (result.kind === "critical-failure") return finishFailedStep(deps, buffer, definition, result.step.id, result.error);
      // Held: a pause came while the batch ran and some of its steps did not start; the loop pauses.
      if (result.kind === "aborted" || result.kind === "held") continue;
      if (result.kind === "sleeping") {
        // A sleeping step holds no worker: a pause requested meanwhile takes effect now, the step
        // keeps its wake-up time and finishes its sleep after the resume.
        if (buffer.state.pause) return pause(deps, buffer, buffer.state.pause);
        // A sleeping run must wake by its deadline to time out on time, not when its delay ends.
        const wakeAt = new Date(Math.min(result.wakeAt.getTime(), deadline ?? Infinity));
        await buffer.finish({ wakeAt, reservedUntil: new Date(wakeAt.getTime() + deps.leaseMs) });
        return "sleeping";
      }
      const completedAt = new Date(deps.services.now());
      const status = batchOutcome(buffer.state.steps.filter((s) => s.batchId === batch.id).map((s) => s.status));
      Object.assign(batch, { status, completedAt, durationMs: batch.startedAt ? completedAt.getTime() - batch.startedAt.getTime() : 0 });
      buffer.touchBatch(batch);
      buffer.event("BATCH_COMPLETED", { index: batch.index, status }, { batchId: batch.id });
      // No commit here: a step with side effects already committed its result, pure steps are safe
      // to run again, and a run resumed after a crash completes a batch whose steps all ended. The
      // batch's end goes out with the next commit (the next action with side effects, a sleep or
      // the run's end), so a run of pure steps commits once.
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** PAUSED: no step is running now; the lease is given back and nothing is queued until resumeExecution. */
async function pause(deps: RunnerDeps, buffer: RunBuffer, request: PauseRequest): Promise<RunResult> {
  Object.assign(buffer.state.execution, { status: "PAUSED", pausedAt: new Date(deps.services.now()) });
  buffer.event("EXECUTION_PAUSED", { reason: request.reason, by: request.by });
  await buffer.finish({});
  return "paused";
}

/** EXECUTION_STARTED; false when the trigger conditions did not pass (every step is then skipped). */
function start(deps: RunnerDeps, buffer: RunBuffer, definition: WorkflowDefinition): boolean {
  const { execution, steps, batches } = buffer.state;
  const now = new Date(deps.services.now());
  Object.assign(execution, { status: "RUNNING", startedAt: now });
  buffer.event("EXECUTION_STARTED", undefined);
  const rules = definition.trigger?.conditions;
  const conditions = evaluateConditions(rules, execution.input);
  // Why the run did or did not go ahead, in one line at its start (no line without conditions).
  if (rules) {
    const data = { logic: rules.logic, passed: conditions.passed, rules: conditions.results } as unknown as Json;
    buffer.log({ stepId: null, level: "INFO", message: describeConditions(rules, conditions), data, at: now });
  }
  if (conditions.passed) return true;
  for (const step of steps) {
    Object.assign(step, { status: "SKIPPED", branchTaken: "trigger conditions did not pass" });
    buffer.touchStep(step);
    buffer.event("STEP_SKIPPED", { reason: "trigger conditions did not pass" }, { stepId: step.id, batchId: step.batchId });
    deps.observer?.step(step.type, "skipped");
  }
  for (const batch of batches) {
    batch.status = "SKIPPED";
    buffer.touchBatch(batch);
  }
  execution.output = { conditionsPassed: false, conditions: conditions.results as unknown as Json };
  return false;
}

/** A critical step failed: its batch fails (with its event), the rest is cancelled, the run fails. */
function finishFailedStep(deps: RunnerDeps, buffer: RunBuffer, definition: WorkflowDefinition, stepId: string, error: EngineError) {
  const step = buffer.state.steps.find((s) => s.id === stepId);
  const batch = buffer.state.batches.find((b) => b.id === step?.batchId);
  const message = `step "${step?.key}" failed: ${error.message}`;
  const failure = { stepId, failedBatchId: batch?.id, policy: definition.retry };
  return finish(deps, buffer, "FAILED", { code: "STEP_FAILED", message, retryable: error.retryable }, failure);
}

async function finish(
  deps: RunnerDeps,
  buffer: RunBuffer,
  status: "COMPLETED" | "FAILED" | "TIMED_OUT",
  error?: EngineError,
  failure: { stepId?: string; failedBatchId?: string; policy?: RetryPolicy } = {},
): Promise<RunResult> {
  const { execution, steps, batches } = buffer.state;
  const now = new Date(deps.services.now());
  if (status !== "COMPLETED") {
    // Open steps are cancelled in the same commit as the final event: a crash in between must
    // not leave cancelled steps under a RUNNING execution.
    const reason = error?.message ?? status;
    for (const step of steps.filter((s) => !isTerminalStep(s.status))) {
      Object.assign(step, { status: "CANCELLED", completedAt: now, wakeAt: null, error: reason });
      buffer.touchStep(step);
      buffer.event("STEP_CANCELLED", { reason }, { stepId: step.id, batchId: step.batchId });
      deps.observer?.step(step.type, "cancelled");
    }
    for (const batch of batches.filter((b) => !isTerminalStep(b.status))) {
      const failed = batch.id === failure.failedBatchId;
      Object.assign(batch, {
        status: failed ? "FAILED" : "CANCELLED",
        completedAt: now,
        durationMs: batch.startedAt ? now.getTime() - batch.startedAt.getTime() : null,
      });
      buffer.touchBatch(batch);
      if (failed) buffer.event("BATCH_COMPLETED", { index: batch.index, status: "FAILED" }, { batchId: batch.id });
    }
  }
  const runError: RunError | undefined = error && { code: error.code, message: error.message, ...(failure.stepId ? { stepId: failure.stepId } : {}) };
  const retryAt = status === "COMPLETED" ? null : nextRetryAt(execution.attempt, failure.policy, now.getTime(), error?.retryable ?? false);
  const startedAt = execution.startedAt ?? now;
  Object.assign(execution, {
    status,
    completedAt: now,
    durationMs: now.getTime() - startedAt.getTime(),
    output: execution.output ?? (Object.fromEntries(steps.filter((s) => s.status === "COMPLETED").map((s) => [s.key, s.output])) as Json),
    errorMessage: runError?.message ?? null,
    errorCode: runError?.code ?? null,
    errorStepId: runError?.stepId ?? null,
    nextRetryAt: retryAt,
  });
  if (status === "COMPLETED") buffer.event("EXECUTION_COMPLETED", execution.output && isConditionsSkip(execution.output) ? { conditionsPassed: false } : undefined);
  else buffer.event(status === "FAILED" ? "EXECUTION_FAILED" : "EXECUTION_TIMED_OUT", { error: runError as RunError });
  await buffer.finish({ retryAt });
  deps.observer?.run(status, execution.durationMs as number);
  return "finished";
}

function isConditionsSkip(output: Json): boolean {
  return typeof output === "object" && output !== null && !Array.isArray(output) && output["conditionsPassed"] === false;
}
