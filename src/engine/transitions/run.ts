// Pure decisions about a whole run: a batch's final status and the automatic retry of a run.
import type { RetryPolicy } from "../definition.ts";
import type { BatchStatus, StepStatus } from "../events.ts";

export function batchOutcome(steps: readonly StepStatus[]): BatchStatus {
  if (steps.some((s) => s === "FAILED")) return "FAILED";
  if (steps.every((s) => s === "SKIPPED")) return "SKIPPED";
  return "COMPLETED";
}

// Without a `retry` in the definition a failed or timed-out run is retried up to 3 times, after
// 1, 5 and 15 minutes (4 attempts in all). A definition's `retry` replaces this policy.
export const DEFAULT_RUN_RETRY_DELAYS_MS = [60_000, 300_000, 900_000] as const;
const DEFAULT_RUN_MAX_ATTEMPTS = DEFAULT_RUN_RETRY_DELAYS_MS.length + 1;

/**
 * When the automatic retry of a run that just ended as `attempt` is due, or null for none. Only a
 * retryable failure is retried: a deterministic one (a `fail` step, invalid input, a missing
 * template variable, an unknown action) would fail the same way again.
 */
export function nextRetryAt(attempt: number, policy: RetryPolicy | undefined, now: number, retryable: boolean): Date | null {
  if (!retryable) return null;
  const maxAttempts = policy?.maxAttempts ?? DEFAULT_RUN_MAX_ATTEMPTS;
  if (attempt >= maxAttempts) return null;
  const delay = policy
    ? (policy.backoffMs ?? 0) * (policy.factor ?? 1) ** (attempt - 1)
    : (DEFAULT_RUN_RETRY_DELAYS_MS[attempt - 1] ?? DEFAULT_RUN_RETRY_DELAYS_MS.at(-1) ?? 0);
  return new Date(now + delay);
}
