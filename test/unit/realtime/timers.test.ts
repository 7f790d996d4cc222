import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runAt } from "../../../src/realtime/timers.ts";

describe("runAt", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs at the instant, not before, even 60 days away (beyond setTimeout's range)", () => {
    const fn = vi.fn();
    const day = 86_400_000;
    runAt(new Date(Date.now() + 60 * day), fn);
    vi.advanceTimersByTime(60 * day - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("runs at once for a past instant, and never once cancelled", () => {
    const past = vi.fn();
    runAt(new Date(Date.now() - 1000), past);
    vi.advanceTimersByTime(0);
    expect(past).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    runAt(new Date(Date.now() + 3 * 2 ** 31), cancelled)();
    vi.advanceTimersByTime(4 * 2 ** 31);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
