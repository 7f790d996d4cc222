// What a drill checks and measures after disrupting workers: the runs' final state through the
// API, and their record in "ExecutionEvent" through read-only SQL (ids here are row ids; see rowId).
import type { Db } from "../../src/db/client.ts";
import { decodeIdOf } from "../../src/schema/global-id.ts";
import type { TestApp } from "./app.ts";
import { detail } from "./engine.ts";

const TERMINAL_STATUSES = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];
const TERMINAL_EVENTS = new Set([
  "EXECUTION_COMPLETED",
  "EXECUTION_FAILED",
  "EXECUTION_CANCELLED",
  "EXECUTION_TIMED_OUT",
]);

/** The row id (uuid) behind an Execution's global ID. */
export const rowId = (globalId: string) => decodeIdOf("Execution", globalId);

export type TimelineEvent = { sequence: number; type: string; at: number; errorCode: string | null };

/** Every event of the runs, by run, in sequence order; `errorCode` is data.error.code. */
export async function eventTimelines(db: Db, ids: readonly string[]): Promise<Map<string, TimelineEvent[]>> {
  type Row = { executionId: string; sequence: number; type: string; at: Date; errorCode: string | null };
  const rows = await db.$queryRaw<Row[]>`
    SELECT "executionId"::text AS "executionId", sequence, type::text AS type, at, data->'error'->>'code' AS "errorCode"
    FROM "ExecutionEvent" WHERE "executionId" = ANY(${ids}::uuid[])
    ORDER BY "executionId", sequence`;
  const timelines = new Map<string, TimelineEvent[]>(ids.map((id) => [id, []]));
  for (const { executionId, at, ...event } of rows) timelines.get(executionId)?.push({ ...event, at: at.getTime() });
  return timelines;
}

/** A worker's death: when its exit was observed, and when its replacement was spawned. */
export type Disruption = { deadAt: number; restartedAt: number };

export type Recovery = {
  /** Runs in flight when the worker died. */
  inFlight: number;
  /**
   * Of those, runs whose next event reports WORKER_LOST: held mid-step by a dead worker (this one,
   * or an earlier one whose runs had not recovered yet).
   */
  interrupted: number;
  /** The longest wait, after the restart, until a run in flight made progress; Infinity if one never did. */
  recoveryMs: number;
  /** The run that waited longest. */
  slowest: string | null;
};

/**
 * How long the runs a worker was working on stood still after it died, from the events' own
 * timestamps ("ExecutionEvent"."at", stamped on this machine's clock like Date.now() here):
 *
 * - In flight at `deadAt`: a run with an event at or before deadAt and no terminal event by then.
 * - Progress again: the run's first event stamped after deadAt. No event of the dead process can
 *   be stamped after deadAt (its exit had been observed), so this is another worker's doing.
 * - A run's recovery: that event's `at` − restartedAt (0 if earlier); the disruption's recovery is
 *   the maximum over the runs in flight.
 *
 * Which runs the dead worker held is not visible from outside (leases are per call, graphile's
 * locked_by per unnamed pool), so the maximum is over every run in flight: an upper bound of the
 * dead worker's runs. A run on a live worker adds at most the gap to its next event — its longest
 * step plus a write — provided no run waits for a free slot (keep fewer runs in flight than one
 * worker's concurrency). Both ends are timestamps rather than poll ticks, so no sampling interval
 * adds noise, and a run in a long step cannot look stalled for longer than the step.
 */
export function recoveryAfter(timelines: Map<string, TimelineEvent[]>, { deadAt, restartedAt }: Disruption): Recovery {
  const recovery: Recovery = { inFlight: 0, interrupted: 0, recoveryMs: 0, slowest: null };
  for (const [id, events] of timelines) {
    const before = events.filter((e) => e.at <= deadAt);
    if (before.length === 0 || before.some((e) => TERMINAL_EVENTS.has(e.type))) continue;
    recovery.inFlight += 1;
    const next = events.find((e) => e.at > deadAt);
    if (next?.errorCode === "WORKER_LOST") recovery.interrupted += 1;
    const waited = next ? Math.max(0, next.at - restartedAt) : Number.POSITIVE_INFINITY;
    if (waited > recovery.recoveryMs || recovery.slowest === null) {
      recovery.recoveryMs = Math.max(recovery.recoveryMs, waited);
      recovery.slowest = id;
    }
  }
  return recovery;
}

/** Statuses by row id. Errors (e.g. a connection just terminated) propagate. */
export async function runStatuses(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await db.$queryRaw<{ id: string; status: string }[]>`
    SELECT id::text AS id, status::text AS status FROM "Execution" WHERE id = ANY(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * Polls until every run is terminal or `deadline` (a Date.now() value) passes; returns the last
 * statuses either way, so that the caller asserts on what the runs became, not on a timeout. A
 * failed poll (a connection cut under the test) is retried.
 */
export async function waitForRunsToFinish(
  db: Db,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, string>> {
  let statuses = new Map<string, string>();
  for (;;) {
    statuses = await runStatuses(db, ids).catch(() => statuses);
    const done = ids.every((id) => TERMINAL_STATUSES.includes(statuses.get(id) ?? ""));
    if (done || Date.now() > deadline) return statuses;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until at least `count` of the runs are RUNNING; false if `timeoutMs` passes first. */
export async function waitForRunning(
  db: Db,
  ids: readonly string[],
  count: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await runStatuses(db, ids).catch(() => new Map<string, string>());
    if ([...statuses.values()].filter((s) => s === "RUNNING").length >= count) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type Violations = {
  /** Runs that did not end COMPLETED, as the API shows them. */
  notCompleted: { id: string; status: string; error: string | null }[];
  /** Steps left with WORKER_LOST as their outcome (any status but COMPLETED). */
  workerLostSteps: { id: string; step: string; status: string }[];
  /** Steps with more than one STEP_COMPLETED event. */
  doubleCompleted: { id: string; step: string; completions: number }[];
  /** Runs whose event sequences are not exactly 1..N. */
  gaps: { id: string; events: number; first: number; last: number }[];
};

export const NO_VIOLATIONS: Violations = { notCompleted: [], workerLostSteps: [], doubleCompleted: [], gaps: [] };

/** Everything a crash must not leave behind, for runs given by global ID; compare with NO_VIOLATIONS. */
export async function durabilityViolations(app: TestApp, globalIds: readonly string[]): Promise<Violations> {
  const violations: Violations = { notCompleted: [], workerLostSteps: [], doubleCompleted: [], gaps: [] };
  for (const id of globalIds) {
    const run = await detail(app, id);
    if (!run) throw new Error(`run ${id} not found`);
    if (run.status !== "COMPLETED") {
      const error = run.error ? `${run.error.code}: ${run.error.message}` : null;
      violations.notCompleted.push({ id: rowId(id), status: run.status, error });
    }
    for (const { node: step } of run.steps.edges) {
      if (step.errorCode === "WORKER_LOST" && step.status !== "COMPLETED") {
        violations.workerLostSteps.push({ id: rowId(id), step: step.key, status: step.status });
      }
    }
  }
  const ids = globalIds.map(rowId);
  violations.doubleCompleted = await app.database.db.$queryRaw<Violations["doubleCompleted"]>`
    SELECT e."executionId"::text AS id, s.key AS step, count(*)::int AS completions
    FROM "ExecutionEvent" e JOIN "Step" s ON s.id = e."stepId"
    WHERE e."executionId" = ANY(${ids}::uuid[]) AND e.type = 'STEP_COMPLETED'
    GROUP BY e."executionId", s.key HAVING count(*) > 1 ORDER BY 1, 2`;
  // (executionId, sequence) is unique, so 1..N without a gap is: first = 1 and last = count.
  violations.gaps = await app.database.db.$queryRaw<Violations["gaps"]>`
    SELECT "executionId"::text AS id, count(*)::int AS events, min(sequence) AS first, max(sequence) AS last
    FROM "ExecutionEvent" WHERE "executionId" = ANY(${ids}::uuid[])
    GROUP BY "executionId" HAVING min(sequence) <> 1 OR max(sequence) <> count(*) ORDER BY 1`;
  return violations;
}

/** STEP_RETRYING events whose data.error.code is WORKER_LOST: the visible trace of a recovered crash. */
export function workerLostRetries(timelines: Map<string, TimelineEvent[]>): number {
  let count = 0;
  for (const events of timelines.values()) {
    count += events.filter((e) => e.type === "STEP_RETRYING" && e.errorCode === "WORKER_LOST").length;
  }
  return count;
}
