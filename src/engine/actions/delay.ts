// Waits. Short delays run in-process; long ones must not pin a worker for hours, so they are
// handed back to the runner as a sleep.
//
// Contract with the runner:
// 1. ms <= IN_PROCESS_LIMIT_MS: a cancellable timer; `completed` with { sleptMs } when it fires,
//    `failed`/CANCELLED at once if ctx.signal aborts (the timer is cleared).
// 2. Longer: returns { status: "sleep", untilMs: start + ms } without waiting. The runner frees the
//    worker, schedules a continuation at untilMs, then calls run again with the same input and
//    ctx.step.resumedAt = untilMs.
// 3. On that call, if now >= resumedAt the delay is over: `completed` with { sleptMs: ms }. If the
//    runner woke it early, it sleeps again until the original resumedAt (the deadline never moves).

import { z } from "zod";
import { cancelled, defineAction } from "./types.ts";

export const IN_PROCESS_LIMIT_MS = 5_000;
export const MAX_DELAY_MS = 31 * 24 * 60 * 60 * 1000;

export const delayAction = defineAction({
  type: "delay",
  input: z.strictObject({ ms: z.int().min(0).max(MAX_DELAY_MS) }),
  async run({ ms }, ctx) {
    const resumedAt = ctx.step.resumedAt;
    if (resumedAt !== undefined) {
      return ctx.services.now() >= resumedAt
        ? { status: "completed", output: { sleptMs: ms } }
        : { status: "sleep", untilMs: resumedAt };
    }
    // An attempt run again after its worker died waits only for the time it has left.
    const now = ctx.services.now();
    const until = (ctx.step.startedAt ?? now) + ms;
    if (ms > IN_PROCESS_LIMIT_MS) {
      const wakeAt = new Date(until).toISOString();
      ctx.log("INFO", `Sleeping ${ms} ms; the run continues at ${wakeAt}`, { ms, wakeAt });
      return { status: "sleep", untilMs: until };
    }
    const finished = await wait(Math.max(0, until - now), ctx.signal);
    return finished ? { status: "completed", output: { sleptMs: ms } } : cancelled("the delay was cancelled");
  },
});

/** Resolves true when the time is up, false as soon as the signal aborts. Leaves no timer or listener behind. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
