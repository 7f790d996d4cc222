// The worker: graphile-worker runs `run-execution` jobs through the engine's runner; a sweeper
// queues again every run that is not finished and that nobody holds (its worker died before or
// while running it), which graphile-worker alone would leave locked for 4 hours. Both pause while
// the database is unreachable and carry on when it is back (supervised-runner.ts).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { JobHelpers, Task } from "graphile-worker";
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { createPgPool, type DatabaseHealth } from "../db/pool.ts";
import { createTenantScopes } from "../db/tenant-scope.ts";
import type { Runner } from "../engine/runner.ts";
import { createSqlRunner } from "../engine/store/sql.ts";
import type { SystemStore } from "../engine/store/store.ts";
import { sweepBulkOperations } from "../services/bulk-operations/sweep.ts";
import { automaticRetry, type ExecutionServices } from "../services/executions.ts";
import { applyRetention, DAY_MS } from "../services/retention.ts";
import { bulkOperationTask } from "./bulk-operation.ts";
import { BULK_OPERATION, bulkOperationJobSql, RETRY_EXECUTION, RUN_EXECUTION } from "./queue.ts";
import { createScheduler } from "./scheduler.ts";
import { startSupervisedRunner } from "./supervised-runner.ts";

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
  /** The process's database health, shared with the other pools: an outage is reported once. */
  health: DatabaseHealth;
  /**
   * Change-log rows (live list views) older than this are pruned, a batch per sweep; a margin for
   * transactions that were long open when they wrote (`at` is their start) is added.
   */
  changeRetentionMs: number;
  /** Bulk operations: targets per chunk and the pause between chunks. */
  bulkOperations: { chunkSize: number; pauseMs: number };
  /** Finished runs older than `days` are deleted every `intervalMs`; 0 days: never. */
  retention: { days: number; intervalMs: number };
  /** How often to look for workflows whose schedule is due (jobs/scheduler.ts). */
  schedulePollMs: number;
  now: () => number;
  onError: (message: string, error?: unknown) => void;
  /** Told when each job starts, how long after it was due (metrics: queue lag). */
  onJobStart?: (task: string, lagMs: number) => void;
  /** Told of the worker's own pool (metrics: pool use). */
  onPool?: (name: string, pool: pg.Pool) => void;
};

export type Worker = {
  /** False while its runner is being restarted (after it stopped unexpectedly), and after stop(). */
  readonly running: boolean;
  stop(): Promise<void>;
};

const SWEEP_LIMIT = 500;
const PRUNE_LIMIT = 5_000;
const PRUNE_EVERY_MS = 60_000;
/** Longer than any transaction of the engine stays open; see changeRetentionMs. */
const PRUNE_MARGIN_MS = 5 * 60_000;
/** Rollup deltas folded per sweep at most: one statement stays short, and a backlog clears in a few sweeps. */
const ROLLUP_FOLD_LIMIT = 20_000;
/** Executions one retention statement deletes at most (with their steps, events and logs). */
const RETENTION_BATCH = 500;

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  // Our own pool, so that stop() can wait for every connection to close. Three more connections
  // than jobs: one LISTENs for new jobs, one probes the database and releases orphaned jobs, one
  // for the statements of bulk operations and retention between their jobs' own.
  const pgPool = createPgPool({
    url: options.connectionString,
    max: options.concurrency + 3,
    name: "worker",
    health: options.health,
    whileUnreachable: "wait",
  });
  options.onPool?.("worker", pgPool);
  // run_at is when a job became due (queued, or its wake-up / retry time).
  const timed = (task: string, fn: Task): Task =>
    options.onJobStart
      ? (payload, helpers: JobHelpers) => {
          options.onJobStart?.(task, Date.now() - new Date(helpers.job.run_at).getTime());
          return fn(payload, helpers);
        }
      : fn;
  const scopes = createTenantScopes(options.db);
  const sql = createSqlRunner(pgPool);
  // Bulk operation leases name this process: a claim by another process after it died is safe.
  const owner = `worker:${randomUUID()}`;
  const stopping = new AbortController();
  const tenantOf = async ({ executionId, tenantId }: z.infer<typeof runPayload>) =>
    tenantId ?? (await options.store.tenantOf(executionId));
  const runner = await startSupervisedRunner({
    pool: pgPool,
    concurrency: options.concurrency,
    // Jobs are fetched a batch at a time: without it each run costs graphile-worker another round
    // trip. Jobs locked in a dead worker's local queue are found by the sweeper like any other run.
    localQueueSize: options.concurrency * 2,
    // New jobs arrive by LISTEN/NOTIFY; jobs scheduled for later (wake-ups, retries) are found by
    // polling, so this bounds how late they start (graphile-worker's default is 2 s).
    pollInterval: 500,
    onError: options.onError,
    taskList: {
      [RUN_EXECUTION]: timed(RUN_EXECUTION, async (payload) => {
        const job = runPayload.parse(payload);
        const tenantId = await tenantOf(job);
        if (tenantId) await options.runner.run(tenantId, job.executionId);
      }),
      [RETRY_EXECUTION]: timed(RETRY_EXECUTION, async (payload) => {
        const job = runPayload.parse(payload);
        const tenantId = await tenantOf(job);
        if (tenantId) await automaticRetry({ ...options.executions, db: scopes(tenantId) }, job.executionId);
      }),
      [BULK_OPERATION]: timed(
        BULK_OPERATION,
        bulkOperationTask(
          {
            sql,
            scoped: scopes,
            executions: options.executions,
            chunkSize: options.bulkOperations.chunkSize,
            pauseMs: options.bulkOperations.pauseMs,
            leaseMs: options.reservationMs,
            owner,
          },
          stopping.signal,
        ),
      ),
    },
  });
  const sweeper = setInterval(() => {
    // An outage is reported once by the pools; its failed sweeps would only repeat it.
    if (!options.health.reachable) return;
    options.store.sweep({ reservationMs: options.reservationMs, limit: SWEEP_LIMIT }).catch((error) => {
      if (options.health.reachable) options.onError("Sweep for runs nobody holds failed", error);
    });
    // The execution rollup's deltas, folded while they are few (readers add the unfolded ones).
    options.store.compactRollup(ROLLUP_FOLD_LIMIT).catch((error) => {
      if (options.health.reachable) options.onError("Folding the execution rollup failed", error);
    });
    sweepBulkOperations(sql, bulkOperationJobSql, options.reservationMs).catch((error) => {
      if (options.health.reachable) options.onError("Sweep for bulk operations nobody holds failed", error);
    });
  }, options.sweepIntervalMs);
  // Retention: every worker passes; two at once delete different runs (SKIP LOCKED). One pass at a
  // time per process, and stop() ends a pass between two batches.
  const retentionStop = new AbortController();
  let retentionPass: Promise<unknown> | null = null;
  const retention =
    options.retention.days > 0
      ? setInterval(() => {
          if (!options.health.reachable || retentionPass) return;
          const olderThan = new Date(Date.now() - options.retention.days * DAY_MS);
          retentionPass = applyRetention(sql, { olderThan, batchSize: RETENTION_BATCH, signal: retentionStop.signal })
            .catch((error) => {
              if (options.health.reachable) options.onError("Deleting executions past their retention failed", error);
            })
            .finally(() => {
              retentionPass = null;
            });
        }, options.retention.intervalMs)
      : undefined;

  // Every worker polls the schedules; a tick is run once however many do (scheduler.ts).
  const scheduler = createScheduler({
    db: options.db,
    executions: options.executions,
    pollMs: options.schedulePollMs,
    now: options.now,
    onError: options.onError,
    reachable: () => options.health.reachable,
  });
  // Every worker prunes; two doing it at once delete disjoint or already-deleted rows, no harm.
  const pruner = setInterval(() => {
    if (!options.health.reachable) return;
    const olderThanMs = options.changeRetentionMs + PRUNE_MARGIN_MS;
    options.store.pruneChanges({ olderThanMs, limit: PRUNE_LIMIT }).catch((error) => {
      if (options.health.reachable) options.onError("Pruning the executions' change log failed", error);
    });
  }, PRUNE_EVERY_MS);
  return {
    get running() {
      return runner.running;
    },
    async stop() {
      clearInterval(sweeper);
      clearInterval(pruner);
      await scheduler.stop();
      clearInterval(retention);
      retentionStop.abort();
      stopping.abort();
      await retentionPass;
      // While the database is away the runner's workers wait for it: ending the pool first makes
      // them give up (graphile-worker then prints a trace per waiting worker).
      const ending = options.health.reachable ? null : pgPool.end();
      await runner.stop();
      await (ending ?? pgPool.end());
    },
  };
}
