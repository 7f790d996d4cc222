// The worker: graphile-worker runs `run-execution` jobs; a sweeper re-queues executions whose
// worker died (their lease expired), which graphile-worker alone would leave locked for 4 hours.
// Both pause while the database is unreachable and carry on when it is back (supervised-runner.ts).
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { createPgPool, type DatabaseHealth } from "../db/pool.ts";
import { createTenantScopes } from "../db/tenant-scope.ts";
import { type RunnerDeps, runExecution } from "../engine/runner.ts";
import { expiredLeases } from "../engine/store.ts";
import { automaticRetry, type ExecutionServices } from "../services/executions.ts";
import { enqueueRun, RETRY_EXECUTION, RUN_EXECUTION } from "./queue.ts";
import { startSupervisedRunner } from "./supervised-runner.ts";

// tenantId is optional only for jobs queued before payloads named their tenant (an upgrade with
// work in flight); those take the execution's own tenant.
const runPayload = z.object({ executionId: z.uuid(), tenantId: z.uuid().optional() });

export type WorkerOptions = {
  connectionString: string;
  concurrency: number;
  /** How often to look for executions whose lease expired. */
  sweepIntervalMs: number;
  deps: RunnerDeps;
  /** The services automatic retries use; the worker scopes them to each job's tenant. */
  executions: Omit<ExecutionServices, "db">;
  /** The process's database health, shared with `deps.db`'s pool: an outage is reported once. */
  health: DatabaseHealth;
  onError: (message: string, error?: unknown) => void;
};

export type Worker = { stop(): Promise<void> };

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  // Our own pool, so that stop() can wait for every connection to close. Two more connections
  // than jobs: one LISTENs for new jobs, one probes the database and releases orphaned jobs.
  const pgPool = createPgPool({
    url: options.connectionString,
    max: options.concurrency + 2,
    name: "worker",
    health: options.health,
    whileUnreachable: "wait",
  });
  // Each job runs with a database client scoped to the tenant its payload names.
  const scopes = createTenantScopes(options.deps.db);
  const scoped = async ({ executionId, tenantId }: z.infer<typeof runPayload>) => {
    if (tenantId) return scopes(tenantId);
    const row = await options.deps.db.execution.findUnique({ where: { id: executionId }, select: { tenantId: true } });
    return row ? scopes(row.tenantId) : null;
  };
  const runner = await startSupervisedRunner({
    pool: pgPool,
    concurrency: options.concurrency,
    // New jobs arrive by LISTEN/NOTIFY; jobs scheduled for later (wake-ups, retries) are found by
    // polling, so this bounds how late they start (graphile-worker's default is 2 s).
    pollInterval: 500,
    onError: options.onError,
    taskList: {
      [RUN_EXECUTION]: async (payload) => {
        const job = runPayload.parse(payload);
        const db = await scoped(job);
        if (db) await runExecution({ ...options.deps, db }, job.executionId);
      },
      [RETRY_EXECUTION]: async (payload) => {
        const job = runPayload.parse(payload);
        const db = await scoped(job);
        if (db) await automaticRetry({ ...options.executions, db }, job.executionId);
      },
    },
  });
  const sweeper = setInterval(() => {
    // An outage is reported once by the pools; its failed sweeps would only repeat it.
    if (!options.health.reachable) return;
    sweepExpiredLeases(options.deps.db).catch((error) => {
      if (options.health.reachable) options.onError("Lease sweep failed", error);
    });
  }, options.sweepIntervalMs);
  return {
    async stop() {
      clearInterval(sweeper);
      // While the database is away the runner's workers wait for it: ending the pool first makes
      // them give up (graphile-worker then prints a trace per waiting worker).
      const ending = options.health.reachable ? null : pgPool.end();
      await runner.stop();
      await (ending ?? pgPool.end());
    },
  };
}

/** Re-queues executions whose worker stopped renewing its lease; returns how many. */
export async function sweepExpiredLeases(db: Db): Promise<number> {
  let requeued = 0;
  for (const execution of await expiredLeases(db)) {
    const claimed = await db.$transaction(async (tx) => {
      // Only one sweeper re-queues a given expiry: clearing the lease is the claim.
      const count = await tx.$executeRaw`
        UPDATE "Execution" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL
        WHERE id = ${execution.id}::uuid AND "leaseExpiresAt" < now()`;
      if (count === 1) await enqueueRun(tx, execution);
      return count === 1;
    });
    if (claimed) requeued += 1;
  }
  return requeued;
}
