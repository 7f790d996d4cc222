// Pausing and resuming from outside a worker (README "Pause and resume"), each one transaction
// under the execution's row lock, like cancel. A run that no live worker holds (queued, asleep in
// a long delay, or its worker died) is paused at once. A run a worker holds gets a request instead:
// the worker starts no new step, lets its running steps finish and then pauses the run itself
// (runner.ts), because only the lease holder may write a running run's state.
import { type EngineEvent, type ExecutionStatus, isFinishedExecution, makeEvent } from "../events.ts";
import { insertExecutionChanges } from "./change-log.ts";
import { eventRows, insertEvents, toRecord } from "./event-rows.ts";
import { changedDeltas } from "./rollup.ts";
import type { JobSql, SqlRunner } from "./sql.ts";
import type { PauseResult, ResumeResult } from "./store.ts";

const LOCK = `/* engine:pause */
  SELECT status::text AS status, "startedAt", "lastEventSequence", "errorMessage",
    ("leaseOwner" IS NOT NULL AND "leaseExpiresAt" >= now()) AS held
  FROM "Execution" WHERE id = $1::uuid AND "tenantId" = $2::uuid FOR UPDATE`;

type Locked = { status: ExecutionStatus; startedAt: Date | null; lastEventSequence: number; errorMessage: string | null; held: boolean };

const REQUEST = `/* engine:pause */
  UPDATE "Execution" SET "pauseRequestedAt" = coalesce("pauseRequestedAt", $3), "pauseReason" = $4, "pausedBy" = $5
  WHERE id = $1::uuid AND "tenantId" = $2::uuid
  RETURNING *, status::text AS status, "triggerSource"::text AS "triggerSource"`;

/** The change-log row and rollup deltas of a status change made by the UPDATE in CTE `x`. */
const consequences = (previousStatus: string, previousErrorMessage: string) => `
  ), ch AS (${insertExecutionChanges({
    from: "x",
    tenant: 'x."tenantId"',
    execution: "x.id",
    previousStatus,
    previousErrorMessage,
    status: "x.status",
    errorMessage: 'x."errorMessage"',
  })}
  ), rd AS (${changedDeltas(`x JOIN "Execution" o ON o.id = x.id`, { status: "x.status", durationMs: `x."durationMs"` })}`;

const PAUSE_NOW = `/* engine:pause */
  WITH x AS (
    UPDATE "Execution" SET status = 'PAUSED', "pausedAt" = $3, "pauseReason" = $4, "pausedBy" = $5,
      "pauseRequestedAt" = NULL, "lastEventSequence" = $6
    WHERE id = $1::uuid AND "tenantId" = $2::uuid
    RETURNING *
  ), ev AS (${insertEvents("$7")}${consequences('$8::"ExecutionStatus"', "$9::text")}
  )
  SELECT x.*, x.status::text AS status, x."triggerSource"::text AS "triggerSource" FROM x`;

// The paused time is added up here, so the runner's deadline (startedAt + timeoutMs + pausedMs)
// counts only the time the run was not paused.
const resumeSql = (jobs: JobSql) => `/* engine:resume */
  WITH x AS (
    UPDATE "Execution" SET status = $3::"ExecutionStatus",
      "pausedMs" = "pausedMs" + greatest(0, floor(extract(epoch FROM ($4::timestamptz - coalesce("pausedAt", $4))) * 1000))::int,
      "pausedAt" = NULL, "lastEventSequence" = $5, "leaseOwner" = NULL, "leaseExpiresAt" = $6
    WHERE id = $1::uuid AND "tenantId" = $2::uuid
    RETURNING *
  ), ev AS (${insertEvents("$7")}${consequences("'PAUSED'::\"ExecutionStatus\"", "$8::text")}
  ), j AS (
    SELECT (${jobs.run({ execution: "x.id", tenant: 'x."tenantId"', runAt: "now()" })}) IS NOT NULL AS queued FROM x
  )
  SELECT x.*, x.status::text AS status, x."triggerSource"::text AS "triggerSource", (SELECT count(*) FROM j)::int AS "queuedJobs"
  FROM x`;

export function pauseRun(
  sql: SqlRunner,
  tenantId: string,
  executionId: string,
  input: { reason: string | null; by: string; now: Date },
): Promise<PauseResult> {
  return sql.transaction(async (tx) => {
    const found = (await tx.query<Locked>(LOCK, [executionId, tenantId])).rows[0];
    if (!found) return { kind: "not-found" };
    if (isFinishedExecution(found.status) || found.status === "PAUSED") return { kind: "invalid", status: found.status };
    if (found.held) {
      const { rows } = await tx.query(REQUEST, [executionId, tenantId, input.now, input.reason, input.by]);
      return { kind: "requested", execution: toRecord(rows[0] as Record<string, unknown>) };
    }
    const sequence = found.lastEventSequence + 1;
    const event = makeEvent({ id: executionId, tenantId, status: "PAUSED" }, sequence, "EXECUTION_PAUSED", { reason: input.reason, by: input.by }, input.now);
    const { rows } = await tx.query(PAUSE_NOW, [
      executionId,
      tenantId,
      input.now,
      input.reason,
      input.by,
      sequence,
      eventRows([event]),
      found.status,
      found.errorMessage,
    ]);
    return { kind: "paused", execution: toRecord(rows[0] as Record<string, unknown>), events: [event] };
  });
}

export function resumeRun(
  sql: SqlRunner,
  jobs: JobSql,
  tenantId: string,
  executionId: string,
  input: { by: string; now: Date; reservedUntil: Date },
): Promise<ResumeResult> {
  return sql.transaction(async (tx) => {
    const found = (await tx.query<Locked>(LOCK, [executionId, tenantId])).rows[0];
    if (!found) return { kind: "not-found" };
    if (found.status !== "PAUSED") return { kind: "invalid", status: found.status };
    // A run paused before it ever started goes back to the queue as it was.
    const status: ExecutionStatus = found.startedAt ? "RUNNING" : "PENDING";
    const sequence = found.lastEventSequence + 1;
    const event: EngineEvent = makeEvent({ id: executionId, tenantId, status }, sequence, "EXECUTION_RESUMED", { by: input.by }, input.now);
    const { rows } = await tx.query(resumeSql(jobs), [
      executionId,
      tenantId,
      status,
      input.now,
      sequence,
      input.reservedUntil,
      eventRows([event]),
      found.errorMessage,
    ]);
    const { queuedJobs: _q, ...row } = rows[0] as Record<string, unknown>;
    return { kind: "resumed", execution: toRecord(row), events: [event] };
  });
}
