// Schedules (README "Schedules"): what a saved definition's trigger.schedule means for its
// workflow row (schedule, nextRunAt), and the start of one tick's run. The polling loop that finds
// due workflows is the worker's (jobs/scheduler.ts).
import { Prisma } from "@prisma/client";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import { nextTick, type Schedule, tickInput } from "../engine/schedule.ts";
import { SYSTEM_ACTORS } from "../engine/events.ts";
import { AppError } from "../errors.ts";
import { type ExecutionServices, startExecution } from "./executions.ts";

/** The workflow columns for a definition and an active flag: nextRunAt is the first tick after `now`. */
export function scheduleColumns(definition: unknown, isActive: boolean, now: Date) {
  const parsed = parseWorkflowDefinition(definition);
  const schedule = parsed.ok ? parsed.value.trigger?.schedule : undefined;
  return {
    schedule: schedule ? (schedule as Prisma.InputJsonValue) : Prisma.DbNull,
    nextRunAt: schedule && isActive ? nextTick(schedule, now) : null,
  };
}

/**
 * The idempotency key of a tick's run: two workers that find the same tick due start it once (the
 * (workflowId, idempotencyKey) unique key), and a worker that died after starting it but before
 * moving nextRunAt on finds the run already there.
 */
export const tickKey = (tick: Date) => `schedule:${tick.toISOString()}`;

/**
 * Starts the run of one tick (SCHEDULE); an already started tick returns its run. The one place
 * schedules start runs. A refusal (the workflow became inactive, its definition is invalid) is
 * returned, not thrown: it would repeat at every poll, so the caller gives the tick up.
 */
export async function startScheduledRun(s: ExecutionServices, workflowId: string, schedule: Schedule, tick: Date) {
  try {
    const execution = await startExecution(
      s,
      { actor: SYSTEM_ACTORS.schedule, triggerSource: "SCHEDULE" },
      { workflowId, input: tickInput(schedule, tick), idempotencyKey: tickKey(tick) },
    );
    return { started: true as const, execution };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { started: false as const, reason: error.message };
  }
}

/**
 * The tick to move nextRunAt to once `tick` was run at `now`: the first one after now. Ticks
 * missed meanwhile (every worker was down) are not run one by one: the run just started stands for
 * all of them.
 */
export function followingTick(schedule: Schedule, tick: Date, now: Date): Date | null {
  return nextTick(schedule, new Date(Math.max(tick.getTime(), now.getTime())));
}
