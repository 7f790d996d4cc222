// Schedules of workflows (trigger.schedule, README "Schedules"): a standard 5-field cron expression
// and an IANA time zone, parsed by croner, and the input each tick's run gets. Pure: validation for saving a definition, and the tick
// after a moment.
import { Cron } from "croner";
import { z } from "zod";

/** An IANA time zone the runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function cronOf(cron: string, timezone: string): Cron {
  // paused: a pattern holder only, no timer is started.
  return new Cron(cron, { timezone, mode: "5-part", paused: true });
}

/** Why `cron` is not a standard 5-field cron expression, or undefined when it is one. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return `must have 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  try {
    cronOf(cron, "UTC");
    return undefined;
  } catch (error) {
    return `invalid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export const scheduleSchema = z.strictObject({
  cron: z.string().max(200).superRefine((cron, ctx) => {
    const problem = cronProblem(cron);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  timezone: z
    .string()
    .max(100)
    .refine(isTimeZone, { error: (iss) => `unknown time zone ${JSON.stringify(iss.input)} (use an IANA name such as "Europe/Berlin")` })
    .default("UTC"),
  // What each tick's run gets besides scheduledAt (the definition's own size limit bounds it).
  input: z
    .record(z.string(), z.json())
    .refine((input) => !("scheduledAt" in input), { error: "must not set scheduledAt: each run gets its tick there" })
    .optional(),
});

export type Schedule = z.output<typeof scheduleSchema>;

/** The first tick strictly after `after`; null when the expression never fires again. */
export function nextTick(schedule: Schedule, after: Date): Date | null {
  return cronOf(schedule.cron, schedule.timezone).nextRun(after);
}

/** A tick's run input: the schedule's own input, and the tick as scheduledAt. */
export function tickInput(schedule: Schedule, tick: Date): Record<string, unknown> {
  return { ...schedule.input, scheduledAt: tick.toISOString() };
}
