// graphile-worker's side of a run, read (and, to simulate a dead worker, written) with SQL.
// In 0.18 jobs live in graphile_worker._private_jobs (the public `jobs` view is read-only):
// `locked_by` is the worker pool's id (one per process, not per concurrency slot), `locked_at`
// when it was taken, `is_available` a generated column (locked_at IS NULL AND attempts <
// max_attempts). A locked job is only handed out again once locked_at is 4 hours old.
import type { Db } from "../../src/db/client.ts";
import { RUN_EXECUTION } from "../../src/jobs/queue.ts";

export type RunJob = {
  id: string;
  lockedBy: string | null;
  lockedAt: Date | null;
  attempts: number;
  runAt: Date;
  isAvailable: boolean;
};

/** The `run-execution` jobs whose payload names the execution (by row id). */
export async function runJobsOf(db: Db, executionId: string): Promise<RunJob[]> {
  return db.$queryRaw<RunJob[]>`
    SELECT j.id::text AS id, j.locked_by AS "lockedBy", j.locked_at AS "lockedAt", j.attempts::int AS attempts,
      j.run_at AS "runAt", j.is_available AS "isAvailable"
    FROM graphile_worker._private_jobs j
    JOIN graphile_worker._private_tasks t ON t.id = j.task_id
    WHERE t.identifier = ${RUN_EXECUTION} AND j.payload->>'executionId' = ${executionId}
    ORDER BY j.id`;
}

/**
 * Leaves the execution's run jobs as a worker pool that locked them `ageMs` ago and then died
 * would: locked, attempt counted, never completed. Returns how many jobs it locked.
 */
export async function lockRunJobsAsDeadWorker(db: Db, executionId: string, ageMs = 0): Promise<number> {
  return db.$executeRaw`
    UPDATE graphile_worker._private_jobs j
    SET locked_by = 'dead-worker-' || md5(random()::text), locked_at = now() - ${ageMs} * interval '1 millisecond',
      attempts = j.attempts + CASE WHEN j.locked_at IS NULL THEN 1 ELSE 0 END
    FROM graphile_worker._private_tasks t
    WHERE t.id = j.task_id AND t.identifier = ${RUN_EXECUTION} AND j.payload->>'executionId' = ${executionId}`;
}
