// The worker: graphile-worker runs `run-execution` jobs through the engine's runner; a sweeper
// queues again every run that is not finished and that nobody holds (its worker died before or
// while running it), which graphile-worker alone would leave locked for 4 hours.
import { run, type Runner as QueueRunner } from "graphile-worker";
import pg from "pg";
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { createTenantScopes } from "../db/tenant-scope.ts";
import type { Runner } from "../engine/runner.ts";
import type { SystemStore } from "../engine/store/store.ts";
import { automaticRetry, type ExecutionServices } from "../services/executions.ts";
import { quietLogger, RETRY_EXECUTION, RUN_EXECUTION } from "./queue.ts";

// tenantId is optional only for jobs queued before payloads named their tenant (an upgrade with
// work in flight); those take the execution's own tenant.
const runPayload = z.object({ executionId: z.uuid(), tenantId: z.uuid().optional() });

export type WorkerOptions = {
  connectionString: string;
  concurrency: number;
  /** How often to look for runs that nobody holds. */
  sweepIntervalMs: number;
  /** How long a queued run may wait for its job before the sweeper queues it again. */
  reservationMs: number;
  runner: Runner;
  store: SystemStore;
  db: Db;
  /** The services automatic retries use; the worker scopes them to each job's tenant. */
  executions: Omit<ExecutionServices, "db">;
  onError: (message: string, error: unknown) => void;
};

export type Worker = { stop(): Promise<void> };

const SWEEP_LIMIT = 500;

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  // Our own pool, so that a connection the server drops (restart, failover, test teardown)
  // is reported instead of crashing the process as an unhandled 'error' event, and so that stop()
  // can wait for every connection to close.
  const pgPool = new pg.Pool({ connectionString: options.connectionString, max: options.concurrency + 2 });
  const onConnectionError = (error: Error) => options.onError("Worker database connection failed", error);
  pgPool.on("error", onConnectionError);
  pgPool.on("connect", (client) => client.on("error", onConnectionError));
  const scopes = createTenantScopes(options.db);
  const tenantOf = async ({ executionId, tenantId }: z.infer<typeof runPayload>) =>
    tenantId ?? (await options.store.tenantOf(executionId));
  const runner: QueueRunner = await run({
    pgPool,
    concurrency: options.concurrency,
    noHandleSignals: true,
    // New jobs arrive by LISTEN/NOTIFY; jobs scheduled for later (wake-ups, retries) are found by
    // polling, so this bounds how late they start (graphile-worker's default is 2 s).
    pollInterval: 500,
    logger: quietLogger,
    preset: {
      worker: {
        // Jobs are fetched a batch at a time and completions sent together: without it each run
        // costs graphile-worker two more round trips (fetch one job, complete it). Jobs locked in
        // a dead worker's local queue are found by the sweeper like any other run nobody holds.
        localQueue: { size: options.concurrency * 2 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
    taskList: {
      [RUN_EXECUTION]: async (payload) => {
        const job = runPayload.parse(payload);
        const tenantId = await tenantOf(job);
        if (tenantId) await options.runner.run(tenantId, job.executionId);
      },
      [RETRY_EXECUTION]: async (payload) => {
        const job = runPayload.parse(payload);
        const tenantId = await tenantOf(job);
        if (tenantId) await automaticRetry({ ...options.executions, db: scopes(tenantId) }, job.executionId);
      },
    },
  });
  const sweep = () =>
    options.store
      .sweep({ reservationMs: options.reservationMs, limit: SWEEP_LIMIT })
      .catch((error) => options.onError("Sweep for runs nobody holds failed", error));
  const sweeper = setInterval(sweep, options.sweepIntervalMs);
  return {
    async stop() {
      clearInterval(sweeper);
      await runner.stop();
      await pgPool.end();
    },
  };
}
