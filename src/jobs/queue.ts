// The queue edge (graphile-worker): jobs are added with SQL inside the caller's transaction, so
// an execution and the job that runs it commit together or not at all.
import { Logger, runMigrations } from "graphile-worker";
import type { ExecutionRef, Tx } from "../engine/store.ts";

export const RUN_EXECUTION = "run-execution";
export const RETRY_EXECUTION = "retry-execution";

// graphile-worker logs every job at info level; the app reports what matters itself.
export const quietLogger = new Logger(() => (level, message) => {
  if (level === "error") console.error(`[worker] ${message}`);
});

/** Installs or upgrades graphile-worker's own schema (idempotent, takes its own lock). */
export async function migrateQueue(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger: quietLogger });
}

/**
 * Queues a run of the execution (at `runAt`, or now). Duplicates are harmless: a job that finds
 * the execution leased by a live worker, or finished, does nothing. The payload names the tenant:
 * the worker runs the job with a client scoped to it (db/tenant-scope.ts).
 */
export async function enqueueRun(tx: Tx, execution: ExecutionRef, runAt?: Date): Promise<void> {
  await tx.$executeRaw`
    SELECT graphile_worker.add_job(
      ${RUN_EXECUTION},
      json_build_object('executionId', ${execution.id}::text, 'tenantId', ${execution.tenantId}::text),
      run_at := ${runAt?.toISOString() ?? null}::timestamptz,
      max_attempts := 25
    )`;
}

/** Queues the automatic retry of a failed run for `runAt` (see services/executions.ts). */
export async function enqueueRetry(tx: Tx, execution: ExecutionRef, runAt: Date): Promise<void> {
  await tx.$executeRaw`
    SELECT graphile_worker.add_job(
      ${RETRY_EXECUTION},
      json_build_object('executionId', ${execution.id}::text, 'tenantId', ${execution.tenantId}::text),
      run_at := ${runAt.toISOString()}::timestamptz,
      max_attempts := 25
    )`;
}
