// One step of a run, from wherever its persisted state left it: skip rules, templates, the action
// call with its retries, and what a worker's death means for it. Changes go into the run's buffer;
// an action with side effects gets a durable STARTED before it runs, a pure one (transform, log,
// fail) is written STARTED and COMPLETED together.
import { invokeAction } from "./actions/invoke.ts";
import type { ActionRegistry } from "./actions/registry.ts";
import type { ActionServices, EmailMessage, LogLevel } from "./actions/types.ts";
import type { StepDefinition } from "./definition.ts";
import type { EngineError, Json, StepStatus } from "./events.ts";
import type { EngineObserver } from "./observer.ts";
import { type RunBuffer, RunInterrupted } from "./run-buffer.ts";
import type { StepState } from "./run-state.ts";
import { resolveTemplates, type TemplateScope } from "./templates.ts";
import { afterFailure, skipDecision, workerLost } from "./transitions/step.ts";

export type StepDeps = {
  actions: ActionRegistry;
  /** Shared services; sendEmail comes from `sendEmail` below, told which step sends. */
  services: Omit<ActionServices, "sendEmail">;
  sendEmail: (
    message: EmailMessage,
    origin: { tenantId: string; executionId: string; stepKey: string },
  ) => ReturnType<ActionServices["sendEmail"]>;
  /** A worker's death re-runs an attempt at most this often before the step fails with WORKER_LOST. */
  maxWorkerLosses: number;
  /** A resolved config (the action's input) or an output larger than this fails the step. */
  maxPayloadBytes: number;
  /** Waits out an in-process retry backoff (default: a timer); the seed's simulated clock replaces it. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told each step outcome and each finished run (metrics); default: nobody. */
  observer?: EngineObserver;
};

export type StepRun = {
  buffer: RunBuffer;
  step: StepState;
  definition: StepDefinition;
  /** Statuses of the steps this one depends on. */
  dependencies: StepStatus[];
  scope: TemplateScope;
  /** Aborted when the run is cancelled, times out, or a critical sibling failed. */
  signal: AbortSignal;
};

export type StepResult =
  | { kind: "completed" }
  | { kind: "skipped" }
  | { kind: "failed"; error: EngineError }
  | { kind: "sleeping"; wakeAt: Date }
  /** Not started: a pause was requested (README "Pause and resume"). */
  | { kind: "held" }
  | { kind: "aborted" };

export async function runStep(deps: StepDeps, run: StepRun): Promise<StepResult> {
  try {
    return await drive(deps, run);
  } catch (error) {
    if (error instanceof RunInterrupted) throw error;
    // A bug or an unforeseen value must not leave the run RUNNING forever or loop in the queue.
    const message = error instanceof Error ? error.message : String(error);
    return fail(deps, run, { code: "ENGINE_ERROR", message: `unexpected error in the engine: ${message}`, retryable: false });
  }
}

async function drive(deps: StepDeps, run: StepRun): Promise<StepResult> {
  const { buffer, step, definition } = run;
  const now = deps.services.now();
  const handler = deps.actions.get(definition.type);
  const pure = handler?.pure === true;

  // Under a pause request nothing new starts (a first attempt, a retry, or a skip decision); a
  // step already running goes on.
  if (step.status === "PENDING" && buffer.state.pause) return { kind: "held" };
  if (step.status === "PENDING" && step.attempt === 0) {
    const skip = skipDecision(definition, run.dependencies, { input: run.scope.input, steps: run.scope.steps });
    if (skip) {
      Object.assign(step, { status: "SKIPPED", branchTaken: skip.branchTaken, startedAt: new Date(now), completedAt: new Date(now), durationMs: 0 });
      buffer.touchStep(step);
      buffer.event("STEP_SKIPPED", { reason: skip.reason }, refs(step));
      deps.observer?.step(step.type, "skipped");
      return { kind: "skipped" };
    }
  }
  if (step.wakeAt && step.wakeAt.getTime() > now) return { kind: "sleeping", wakeAt: step.wakeAt };

  // A RUNNING step that is not asleep was being worked on by a worker that died: the same attempt
  // runs again, without using the retry budget (a crash is not the step's failure).
  let rerun = false;
  let resumedAt: number | undefined;
  if (step.status === "RUNNING" && step.wakeAt) {
    resumedAt = step.wakeAt.getTime();
  } else if (step.status === "RUNNING") {
    step.workerLosses += 1;
    deps.observer?.step(step.type, "worker_lost");
    const lost = workerLost(step.workerLosses, deps.maxWorkerLosses);
    if (!lost.retryable) return fail(deps, run, lost);
    buffer.touchStep(step);
    buffer.event(
      "STEP_RETRYING",
      { attempt: step.attempt, error: lost, retryAt: new Date(now).toISOString(), workerLosses: step.workerLosses },
      refs(step),
    );
    rerun = true;
  }

  let input: unknown = step.input;
  if (step.status === "PENDING" || input === null) {
    const resolved = resolveTemplates(definition.config, run.scope, { maxBytes: deps.maxPayloadBytes });
    if (!resolved.ok) return fail(deps, run, { code: resolved.error.code, message: resolved.error.message, retryable: false });
    input = resolved.value;
  }
  const inputBytes = jsonBytes(input);
  if (inputBytes > deps.maxPayloadBytes) {
    return fail(deps, run, tooLarge("INPUT_TOO_LARGE", "the step's resolved config", inputBytes, deps.maxPayloadBytes));
  }

  for (;;) {
    if (run.signal.aborted) return { kind: "aborted" };
    // After an in-process retry backoff: the next attempt is a new start.
    if (step.status === "PENDING" && buffer.state.pause) return { kind: "held" };
    if (resumedAt === undefined) {
      if (!rerun) {
        step.attempt += 1;
        step.startedAt = new Date(deps.services.now());
      }
      Object.assign(step, { status: "RUNNING", input: input as Json, wakeAt: null });
      // A step with a `when` that is running took its "then" branch.
      if (definition.when) step.branchTaken = "then";
      buffer.touchStep(step);
      buffer.event("STEP_STARTED", rerun ? { attempt: step.attempt, workerLosses: step.workerLosses } : { attempt: step.attempt }, refs(step));
      rerun = false;
      if (!pure) await buffer.flush();
    }

    const logs: { level: LogLevel; message: string; data?: unknown; at: Date }[] = [];
    const timeout = definition.timeoutMs ? AbortSignal.timeout(definition.timeoutMs) : undefined;
    const signal = timeout ? AbortSignal.any([run.signal, timeout]) : run.signal;
    const result = handler
      ? await invokeAction(handler, input, {
          signal,
          log: (level, message, data) => logs.push({ level, message, data, at: new Date(deps.services.now()) }),
          execution: { id: buffer.state.execution.id, workflowName: buffer.state.execution.workflowName, attempt: buffer.state.execution.attempt },
          step: {
            key: step.key,
            attempt: step.attempt,
            ...(step.startedAt ? { startedAt: step.startedAt.getTime() } : {}),
            ...(resumedAt !== undefined ? { resumedAt } : {}),
          },
          services: {
            ...deps.services,
            sendEmail: (message) =>
              deps.sendEmail(message, { tenantId: buffer.state.execution.tenantId, executionId: buffer.state.execution.id, stepKey: step.key }),
          },
        })
      : ({ status: "failed", error: { code: "UNKNOWN_ACTION", message: `no action type "${definition.type}" is registered`, retryable: false } } as const);
    resumedAt = undefined;
    if (run.signal.aborted) return { kind: "aborted" };
    for (const l of logs) buffer.log({ stepId: step.id, level: l.level, message: l.message, data: toJson(l.data), at: l.at });

    if (result.status === "completed") {
      const output = toJson(result.output) ?? null;
      const outputBytes = jsonBytes(output);
      if (outputBytes > deps.maxPayloadBytes) {
        return fail(deps, run, tooLarge("OUTPUT_TOO_LARGE", "the step's output", outputBytes, deps.maxPayloadBytes));
      }
      if (result.context) {
        const written = writeContext(deps, run, result.context);
        if (written) return written;
      }
      const completedAt = new Date(deps.services.now());
      Object.assign(step, { status: "COMPLETED", output, wakeAt: null, completedAt, durationMs: elapsed(step, completedAt) });
      buffer.touchStep(step);
      buffer.event("STEP_COMPLETED", undefined, refs(step));
      deps.observer?.step(step.type, "completed");
      if (!pure) await buffer.flush();
      return { kind: "completed" };
    }
    if (result.status === "sleep") {
      Object.assign(step, { wakeAt: new Date(result.untilMs), output: toJson(result.output) ?? null });
      buffer.touchStep(step);
      return { kind: "sleeping", wakeAt: step.wakeAt as Date };
    }
    // A step timeout aborts the action, which reports CANCELLED; say what really happened.
    const error: EngineError = timeout?.aborted
      ? { code: "STEP_TIMEOUT", message: `the step exceeded its timeoutMs of ${definition.timeoutMs} ms`, retryable: true }
      : result.error;
    const next = afterFailure(error, step.attempt, definition.retry, deps.services.now());
    if (next.kind === "fail") {
      const failed = fail(deps, run, error);
      // Its result is durable at once, like a success: a crash must not run its side effects again.
      if (!pure) await buffer.flush();
      return failed;
    }
    Object.assign(step, { status: "PENDING", error: error.message, errorCode: error.code, wakeAt: next.retryAt });
    buffer.touchStep(step);
    buffer.event("STEP_RETRYING", { attempt: step.attempt, error, retryAt: next.retryAt.toISOString() }, refs(step));
    deps.observer?.step(step.type, "retrying");
    await buffer.flush();
    if (!next.inProcess) return { kind: "sleeping", wakeAt: next.retryAt };
    await (deps.wait ?? sleep)(next.retryAt.getTime() - deps.services.now(), run.signal);
    if (run.signal.aborted) return { kind: "aborted" };
    step.wakeAt = null;
  }
}

/**
 * Merges the keys an action wrote into the run's context (a new object: steps of the same batch
 * keep reading the context as their batch started), with a CONTEXT_UPDATED event. A context that
 * would grow past ENGINE_MAX_PAYLOAD_BYTES fails the step instead and nothing is written.
 */
function writeContext(deps: StepDeps, run: StepRun, values: Record<string, unknown>): StepResult | null {
  const { buffer, step } = run;
  const written = (toJson(values) ?? {}) as { [key: string]: Json };
  const next = { ...buffer.state.execution.context, ...written };
  const bytes = jsonBytes(next);
  if (bytes > deps.maxPayloadBytes) return fail(deps, run, tooLarge("CONTEXT_TOO_LARGE", "the run's context", bytes, deps.maxPayloadBytes));
  buffer.state.execution.context = next;
  buffer.event("CONTEXT_UPDATED", { values: written }, refs(step));
  return null;
}

function fail(deps: StepDeps, run: StepRun, error: EngineError): StepResult {
  const { buffer, step } = run;
  const completedAt = new Date(deps.services.now());
  Object.assign(step, {
    status: "FAILED",
    error: error.message,
    errorCode: error.code,
    wakeAt: null,
    completedAt,
    durationMs: elapsed(step, completedAt),
  });
  buffer.touchStep(step);
  buffer.log({ stepId: step.id, level: "ERROR", message: `${error.code}: ${error.message}`, at: completedAt });
  buffer.event("STEP_FAILED", { error }, refs(step));
  deps.observer?.step(step.type, "failed");
  return { kind: "failed", error };
}

const refs = (step: StepState) => ({ stepId: step.id, batchId: step.batchId });
const elapsed = (step: StepState, end: Date) => (step.startedAt ? end.getTime() - step.startedAt.getTime() : 0);

function tooLarge(code: string, what: string, bytes: number, max: number): EngineError {
  return { code, message: `${what} is ${bytes} bytes of JSON, over the limit of ${max} (ENGINE_MAX_PAYLOAD_BYTES)`, retryable: false };
}

function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? "");
}

function toJson(value: unknown): Json | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Json);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
