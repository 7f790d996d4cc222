// The actions the seed's runs call: http, email and delay answer from the run's script on its
// simulated clock instead of the network or a timer; transform, log and fail are the real actions
// (they only compute). Inputs are checked with the real actions' schemas, so a config the worker
// would refuse fails here too. All are pure, so the engine commits each batch in one statement.
import { delayAction, IN_PROCESS_LIMIT_MS } from "../engine/actions/delay.ts";
import { emailAction } from "../engine/actions/email.ts";
import { failAction } from "../engine/actions/fail.ts";
import { httpAction } from "../engine/actions/http.ts";
import { logAction } from "../engine/actions/log.ts";
import { createActionRegistry, type ActionRegistry } from "../engine/actions/registry.ts";
import { transformAction } from "../engine/actions/transform.ts";
import { type ActionContext, cancelled, defineAction } from "../engine/actions/types.ts";
import type { SimClock } from "./clock.ts";
import type { Attempt, RunScript } from "./script.ts";
import type { Json } from "./workflow-profile.ts";

/** What an action needs of the run it is called in. */
export type ScriptedRun = {
  clock: SimClock;
  script: RunScript;
  /** The attempt asked for the run to be cancelled at `at`. */
  cancelAt(at: number): void;
};

export function createSeedActions(current: () => ScriptedRun): ActionRegistry {
  const attempt = (ctx: ActionContext, config: unknown) => {
    const run = current();
    return { run, attempt: run.script.attempt(ctx.step.key, ctx.step.attempt, config as Json) };
  };
  // Waits for the attempt's end on the run's clock; an abort (cancel, deadline, a failed critical
  // sibling) ends the wait at once, as it would end a real request.
  const perform = async (run: ScriptedRun, planned: Attempt, signal: AbortSignal, abortedAs: string) => {
    const start = run.clock.now();
    if (planned.cancelAfterMs !== undefined) run.cancelAt(start + planned.cancelAfterMs);
    await run.clock.until(start + planned.ms, signal);
    return signal.aborted ? cancelled(abortedAs) : planned.result;
  };

  const http = defineAction({
    type: "http",
    pure: true,
    input: httpAction.input,
    run: (request, ctx) => {
      const { run, attempt: planned } = attempt(ctx, request);
      return perform(run, planned, ctx.signal, "the HTTP request was cancelled");
    },
  });
  const email = defineAction({
    type: "email",
    pure: true,
    input: emailAction.input,
    run: (message, ctx) => {
      const { run, attempt: planned } = attempt(ctx, message);
      return perform(run, planned, ctx.signal, "the step was cancelled");
    },
  });
  // As the real delay: short waits in the worker, long ones as a sleep the runner resumes.
  const delay = defineAction({
    type: "delay",
    pure: true,
    input: delayAction.input,
    async run({ ms }, ctx) {
      const resumedAt = ctx.step.resumedAt;
      if (resumedAt !== undefined) {
        return current().clock.now() >= resumedAt
          ? { status: "completed", output: { sleptMs: ms } }
          : { status: "sleep", untilMs: resumedAt };
      }
      const { run, attempt: planned } = attempt(ctx, { ms });
      if (ms <= IN_PROCESS_LIMIT_MS) return perform(run, planned, ctx.signal, "the delay was cancelled");
      const start = ctx.step.startedAt ?? run.clock.now();
      if (planned.cancelAfterMs !== undefined) run.cancelAt(start + planned.cancelAfterMs);
      return { status: "sleep", untilMs: start + ms };
    },
  });
  return createActionRegistry([http, email, delay, transformAction, logAction, failAction]);
}
