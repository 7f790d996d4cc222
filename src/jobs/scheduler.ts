// The schedule loop of a worker (README "Schedules"): every SCHEDULE_POLL_MS it looks for active
// workflows whose nextRunAt has come, starts that tick's run and moves nextRunAt to the first tick
// after now. Every worker process runs one; a tick is still run exactly once: its run is keyed by
// (workflow, tick) (services/schedules.ts), and nextRunAt moves on only from the value that was
// read (compare-and-set), so a second worker's start finds the run and its update changes nothing.
import type { Db } from "../db/client.ts";
import { createTenantScopes } from "../db/tenant-scope.ts";
import { scheduleSchema } from "../engine/schedule.ts";
import type { ExecutionServices } from "../services/executions.ts";
import { followingTick, startScheduledRun } from "../services/schedules.ts";

export type SchedulerOptions = {
  db: Db;
  executions: Omit<ExecutionServices, "db">;
  /** 0: no timer (a test calls poll() itself). */
  pollMs: number;
  now: () => number;
  onError: (message: string, error?: unknown) => void;
  /** While false (the database is away) polls are skipped. */
  reachable?: () => boolean;
};

export type Scheduler = {
  /** One poll: starts every due tick (up to a batch); returns how many workflows were due. */
  poll(): Promise<number>;
  stop(): Promise<void>;
};

const BATCH = 100;

type Due = { id: string; tenantId: string; nextRunAt: Date; schedule: unknown };

export function createScheduler(options: SchedulerOptions): Scheduler {
  const scopes = createTenantScopes(options.db);
  const { db } = options;

  async function runTick(workflow: Due, now: Date) {
    const schedule = scheduleSchema.safeParse(workflow.schedule);
    let next: Date | null = null;
    if (schedule.success) {
      // A refusal gives the tick up and keeps the next one; a throw (the database) is tried again next poll.
      const result = await startScheduledRun(
        { ...options.executions, db: scopes(workflow.tenantId) },
        workflow.id,
        schedule.data,
        workflow.nextRunAt,
      );
      if (!result.started) options.onError(`Scheduled run of workflow ${workflow.id} was not started: ${result.reason}`);
      next = followingTick(schedule.data, workflow.nextRunAt, now);
    }
    await db.$executeRaw`UPDATE "Workflow" SET "nextRunAt" = ${next}
      WHERE id = ${workflow.id}::uuid AND "nextRunAt" = ${workflow.nextRunAt}`;
  }

  async function poll(): Promise<number> {
    const now = new Date(options.now());
    // Tagged: tests that count an event's statements leave the periodic ones out.
    const due = await db.$queryRaw<Due[]>`/* jobs:schedule-poll */
      SELECT id, "tenantId", "nextRunAt", schedule FROM "Workflow"
      WHERE "nextRunAt" <= ${now} AND "isActive" ORDER BY "nextRunAt" LIMIT ${BATCH}`;
    for (const workflow of due) {
      try {
        await runTick(workflow, now);
      } catch (error) {
        options.onError(`Scheduled run of workflow ${workflow.id} failed; trying again`, error);
      }
    }
    return due.length;
  }

  let polling: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = options.pollMs <= 0 ? null : setInterval(() => {
    if (stopped || (options.reachable && !options.reachable())) return;
    // One poll at a time per process: a slow one is not overtaken by the next.
    polling = polling.then(() => (stopped ? 0 : poll())).catch((error) => options.onError("Schedule poll failed", error));
  }, options.pollMs);

  return {
    poll,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await polling;
    },
  };
}
