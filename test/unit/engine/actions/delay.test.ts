import { describe, expect, it } from "vitest";
import { delayAction, MAX_DELAY_MS } from "../../../../src/engine/actions/delay.ts";
import { invokeAction } from "../../../../src/engine/actions/invoke.ts";
import type { ActionContext } from "../../../../src/engine/actions/types.ts";

function context(options: { signal?: AbortSignal; now?: number; resumedAt?: number } = {}): ActionContext {
  return {
    signal: options.signal ?? new AbortController().signal,
    log: () => {},
    execution: { id: "exec_1", workflowName: "wf", attempt: 1 },
    step: { key: "wait", attempt: 1, resumedAt: options.resumedAt },
    services: {
      fetch: () => Promise.reject(new Error("no fetch in delay tests")),
      sendEmail: () => Promise.reject(new Error("no email in delay tests")),
      now: () => options.now ?? 1_000_000,
    },
  };
}

const delay = delayAction;

describe("delay action", () => {
  it("waits in-process for a short delay", async () => {
    const started = performance.now();
    const result = await invokeAction(delay, { ms: 30 }, context());
    expect(result).toEqual({ status: "completed", output: { sleptMs: 30 } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("completes a zero delay", async () => {
    expect(await invokeAction(delay, { ms: 0 }, context())).toEqual({ status: "completed", output: { sleptMs: 0 } });
  });

  it("ends at once when the signal aborts during the wait", async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 20);
    const result = await invokeAction(delay, { ms: 5_000 }, context({ signal: controller.signal }));
    expect(result).toMatchObject({ status: "failed", error: { code: "CANCELLED", retryable: false } });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("is cancelled without waiting when the signal is already aborted", async () => {
    const result = await delayAction.run({ ms: 5_000 }, context({ signal: AbortSignal.abort() }));
    expect(result).toMatchObject({ status: "failed", error: { code: "CANCELLED" } });
  });

  it("hands a long delay back to the runner as a sleep", async () => {
    const result = await invokeAction(delay, { ms: 60_000 }, context({ now: 1_000 }));
    expect(result).toEqual({ status: "sleep", untilMs: 61_000 });
  });

  it("completes when resumed at or after the wake-up time", async () => {
    const resumed = await invokeAction(delay, { ms: 60_000 }, context({ now: 61_000, resumedAt: 61_000 }));
    expect(resumed).toEqual({ status: "completed", output: { sleptMs: 60_000 } });
  });

  it("sleeps again until the same deadline when woken early", async () => {
    const early = await invokeAction(delay, { ms: 60_000 }, context({ now: 50_000, resumedAt: 61_000 }));
    expect(early).toEqual({ status: "sleep", untilMs: 61_000 });
  });

  it("rejects invalid input", async () => {
    for (const bad of [{ ms: -1 }, { ms: 1.5 }, { ms: MAX_DELAY_MS + 1 }, {}, { ms: 10, extra: true }]) {
      const result = await invokeAction(delay, bad, context());
      expect(result).toMatchObject({ status: "failed", error: { code: "INVALID_INPUT", retryable: false } });
    }
    const result = await invokeAction(delay, { ms: "soon" }, context());
    expect(result.status === "failed" && result.error.message).toMatch(/^ms: /);
  });
});
