// The queue edge (graphile-worker). The engine's store queues jobs with SQL inside its own
// statements (a state change and the job it needs commit together); this module owns that SQL.
import { Logger, runMigrations } from "graphile-worker";
import type { JobSql } from "../engine/store/sql.ts";

export const RUN_EXECUTION = "run-execution";
export const RETRY_EXECUTION = "retry-execution";

/** graphile-worker logs every job at info level; the app reports what matters itself: its errors. */
export function quietLogger(logError: (message: string) => void = (message) => console.error(message)): Logger {
  return new Logger(() => (level, message) => {
    if (level === "error") logError(`[worker] ${message}`);
  });
}

/** Installs or upgrades graphile-worker's own schema (idempotent, takes its own lock). */
export async function migrateQueue(connectionString: string, logError?: (message: string) => void): Promise<void> {
  await runMigrations({ connectionString, logger: quietLogger(logError) });
}

/**
 * Run jobs are keyed by execution: queuing again replaces a job that is still waiting (a sweep of
 * a long queue adds nothing), while a job that is running keeps running and a new one is queued
 * beside it. A job that finds its execution leased by a live worker, or finished, does nothing.
 * The payload names the tenant: the worker runs the job scoped to it.
 */
export const jobSql: JobSql = {
  run: ({ execution, tenant, runAt }) => `graphile_worker.add_job(
      '${RUN_EXECUTION}',
      json_build_object('executionId', ${execution}::text, 'tenantId', ${tenant}::text),
      run_at := ${runAt},
      max_attempts := 25,
      job_key := 'run:' || ${execution}::text,
      job_key_mode := 'replace')`,
  retry: ({ execution, tenant, runAt }) => `graphile_worker.add_job(
      '${RETRY_EXECUTION}',
      json_build_object('executionId', ${execution}::text, 'tenantId', ${tenant}::text),
      run_at := ${runAt},
      max_attempts := 25)`,
};

export const BULK_OPERATION = "bulk-operation";
const BULK_OPERATION_ATTEMPTS = 5;

/**
 * A bulk operation's job, keyed by operation like run jobs: queuing it again (the sweeper, after
 * its worker died) replaces one still waiting. A failed attempt is retried by graphile-worker
 * with its backoff; the last one marks the operation FAILED (jobs/bulk-operation.ts).
 */
export const bulkOperationJobSql = ({ operation, tenant }: { operation: string; tenant: string }) => `graphile_worker.add_job(
      '${BULK_OPERATION}',
      json_build_object('operationId', ${operation}::text, 'tenantId', ${tenant}::text),
      max_attempts := ${BULK_OPERATION_ATTEMPTS},
      job_key := 'bulk:' || ${operation}::text,
      job_key_mode := 'replace')`;
