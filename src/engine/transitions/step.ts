// Pure decisions about one step: whether it is skipped, and what follows a failed attempt or a
// worker's death. The runner applies them; nothing here does I/O.
import { evaluateConditions } from "../conditions.ts";
import type { RetryPolicy, StepDefinition } from "../definition.ts";
import type { EngineError, StepStatus } from "../events.ts";

/** Backoffs up to this wait inside the worker; longer ones give the worker back (the run sleeps). */
export const IN_PROCESS_BACKOFF_MS = 5_000;

export type Skip = { reason: string; branchTaken: "else" | null };

export function skipDecision(
  definition: StepDefinition,
  dependencies: readonly StepStatus[],
  data: { input: unknown; steps: Record<string, { output: unknown }> },
): Skip | null {
  if (dependencies.length > 0 && dependencies.every((s) => s === "SKIPPED")) {
    return { reason: "all dependencies were skipped", branchTaken: null };
  }
  if (definition.when && !evaluateConditions(definition.when, data).passed) return { reason: "when: false", branchTaken: "else" };
  return null;
}

export type AfterFailure =
  | { kind: "fail" }
  /** Run the next attempt at `retryAt`: waiting in the worker when `inProcess`, else the run sleeps. */
  | { kind: "retry"; retryAt: Date; inProcess: boolean };

/** After attempt `attempt` failed with `error`, under the step's retry policy. */
export function afterFailure(error: EngineError, attempt: number, policy: RetryPolicy | undefined, now: number): AfterFailure {
  const maxAttempts = policy?.maxAttempts ?? 1;
  if (!error.retryable || attempt >= maxAttempts) return { kind: "fail" };
  const backoff = Math.round((policy?.backoffMs ?? 0) * (policy?.factor ?? 1) ** Math.max(0, attempt - 1));
  return { kind: "retry", retryAt: new Date(now + backoff), inProcess: backoff <= IN_PROCESS_BACKOFF_MS };
}

export const workerLost = (workerLosses: number, max: number): EngineError => ({
  code: "WORKER_LOST",
  message:
    workerLosses > max
      ? `the worker running this step stopped ${workerLosses} times (ENGINE_MAX_WORKER_LOSSES is ${max})`
      : "the worker running this step stopped; the attempt runs again",
  // Past the limit the step itself is the likely cause (e.g. it exhausts the worker's memory).
  retryable: workerLosses <= max,
});
