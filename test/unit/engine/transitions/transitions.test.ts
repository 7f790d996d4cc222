// The engine's pure decisions: what follows a failed attempt, a worker's death, a finished batch,
// and when a run is retried automatically.
import { describe, expect, it } from "vitest";
import { parseWorkflowDefinition, type StepDefinition } from "../../../../src/engine/definition.ts";
import { planCancel } from "../../../../src/engine/transitions/cancel.ts";
import { batchOutcome, DEFAULT_RUN_RETRY_DELAYS_MS, nextRetryAt } from "../../../../src/engine/transitions/run.ts";
import { afterFailure, IN_PROCESS_BACKOFF_MS, skipDecision, workerLost } from "../../../../src/engine/transitions/step.ts";

const retryable = { code: "HTTP_503", message: "unavailable", retryable: true };
const deterministic = { code: "INVALID_INPUT", message: "bad", retryable: false };

describe("afterFailure", () => {
  it("fails at once without a policy, for a non-retryable error, and once the attempts are used", () => {
    expect(afterFailure(retryable, 1, undefined, 0)).toEqual({ kind: "fail" });
    expect(afterFailure(deterministic, 1, { maxAttempts: 5, backoffMs: 0 }, 0)).toEqual({ kind: "fail" });
    expect(afterFailure(retryable, 3, { maxAttempts: 3, backoffMs: 0 }, 0)).toEqual({ kind: "fail" });
  });

  it("backs off by backoffMs × factor^(attempt − 1), in the worker up to IN_PROCESS_BACKOFF_MS", () => {
    const policy = { maxAttempts: 5, backoffMs: 1000, factor: 3 };
    expect(afterFailure(retryable, 1, policy, 10_000)).toEqual({ kind: "retry", retryAt: new Date(11_000), inProcess: true });
    expect(afterFailure(retryable, 2, policy, 10_000)).toEqual({ kind: "retry", retryAt: new Date(13_000), inProcess: true });
    const long = afterFailure(retryable, 3, policy, 10_000);
    expect(long).toEqual({ kind: "retry", retryAt: new Date(19_000), inProcess: 9_000 <= IN_PROCESS_BACKOFF_MS });
    expect(afterFailure(retryable, 1, { maxAttempts: 2, backoffMs: 0 }, 5)).toEqual({ kind: "retry", retryAt: new Date(5), inProcess: true });
  });
});

describe("workerLost", () => {
  it("is retryable up to the limit, then fails the step", () => {
    expect(workerLost(1, 3)).toMatchObject({ code: "WORKER_LOST", retryable: true });
    expect(workerLost(3, 3).retryable).toBe(true);
    expect(workerLost(4, 3)).toMatchObject({ code: "WORKER_LOST", retryable: false });
    expect(workerLost(1, 0).retryable).toBe(false);
  });
});

describe("skipDecision", () => {
  const step = (extra: Partial<StepDefinition> = {}): StepDefinition => {
    const parsed = parseWorkflowDefinition({ steps: [{ id: "a", type: "log", config: { message: "x" }, ...extra }] });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value.steps[0] as StepDefinition;
  };
  const data = { input: { total: 5 }, steps: {} };

  it("skips when every dependency was skipped, not when some ran", () => {
    expect(skipDecision(step(), ["SKIPPED", "SKIPPED"], data)).toEqual({ reason: "all dependencies were skipped", branchTaken: null });
    expect(skipDecision(step(), ["SKIPPED", "COMPLETED"], data)).toBeNull();
    expect(skipDecision(step(), [], data)).toBeNull();
  });

  it("takes the else branch when `when` does not pass", () => {
    const when = { logic: "AND", rules: [{ field: "input.total", operator: ">", value: 10 }] };
    expect(skipDecision(step({ when } as Partial<StepDefinition>), [], data)).toEqual({ reason: "when: false", branchTaken: "else" });
    expect(skipDecision(step({ when } as Partial<StepDefinition>), [], { ...data, input: { total: 50 } })).toBeNull();
  });
});

describe("batchOutcome", () => {
  it("is FAILED with any failure, SKIPPED when all were skipped, else COMPLETED", () => {
    expect(batchOutcome(["COMPLETED", "FAILED"])).toBe("FAILED");
    expect(batchOutcome(["SKIPPED", "SKIPPED"])).toBe("SKIPPED");
    expect(batchOutcome(["SKIPPED", "COMPLETED"])).toBe("COMPLETED");
  });
});

describe("nextRetryAt", () => {
  it("never retries a deterministic failure", () => {
    expect(nextRetryAt(1, undefined, 0, false)).toBeNull();
    expect(nextRetryAt(1, { maxAttempts: 5, backoffMs: 10 }, 0, false)).toBeNull();
  });

  it("retries a retryable one after 1, 5 and 15 minutes by default, 4 attempts in all", () => {
    expect(DEFAULT_RUN_RETRY_DELAYS_MS.map((_, i) => nextRetryAt(i + 1, undefined, 0, true)?.getTime())).toEqual([60_000, 300_000, 900_000]);
    expect(nextRetryAt(4, undefined, 0, true)).toBeNull();
  });

  it("follows the definition's policy; maxAttempts 1 turns retries off", () => {
    expect(nextRetryAt(1, { maxAttempts: 1, backoffMs: 0 }, 0, true)).toBeNull();
    expect(nextRetryAt(2, { maxAttempts: 3, backoffMs: 100, factor: 2 }, 1000, true)).toEqual(new Date(1200));
  });
});

describe("planCancel", () => {
  it("cancels open steps in step order, then the execution, numbering events after the last", () => {
    const plan = planCancel(
      { id: "e", tenantId: "t", status: "RUNNING", startedAt: new Date(1000), lastEventSequence: 7 },
      [
        { id: "s2", batchId: "b", index: 2 },
        { id: "s1", batchId: "b", index: 1 },
      ],
      { reason: "stop", by: { kind: "USER", id: "u-7", name: "ops" }, now: new Date(4000) },
    );
    expect(plan.events.map((e) => [e.sequence, e.type, e.stepId, e.executionStatus])).toEqual([
      [8, "STEP_CANCELLED", "s1", "RUNNING"],
      [9, "STEP_CANCELLED", "s2", "RUNNING"],
      [10, "EXECUTION_CANCELLED", null, "CANCELLED"],
    ]);
    expect(plan).toMatchObject({ durationMs: 3000, lastEventSequence: 10, errorMessage: "Cancelled by ops: stop" });
    expect(plan.events.at(-1)?.data).toEqual({ reason: "stop", by: "ops", actor: { kind: "USER", id: "u-7", name: "ops" } });
  });
});
