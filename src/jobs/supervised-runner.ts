// graphile-worker's runner, kept running through database outages.
//
// graphile-worker 0.18 alone does not survive one. It records a finished job with
// `completeJob(job)` / `failJob(...)` without awaiting either (dist/worker.js:262 and :283), and
// retries those only for error codes that a refused or dropped connection does not carry
// (RETRYABLE_ERROR_CODES, dist/lib.js:354), so the rejection is unhandled and Node exits. Batched
// completions (`completeJobBatchDelay` / `failJobBatchDelay` >= 0) catch that error instead, emit
// 'pool:fatalError' and shut the worker pool down (dist/main.js:879-922). So:
// - completions are batched (delay 0: the next tick);
// - the pool waits out an outage (db/pool.ts, "wait"): graphile-worker's workers block in getJob,
//   completeJob and the LISTEN reconnect instead of polling a database that is not there, and the
//   completions asked for meanwhile are recorded once it is back;
// - when the worker pool shuts down anyway (a completion was in flight when the connection
//   broke), this module waits for the database, releases the jobs the old pool still held locked
//   (graphile-worker would leave them for 4 hours) and starts a new runner.
// The old runner's promise is not waited for: after one failed batch the batcher's pending count
// goes wrong (allgood() decrements it after every later success, `backpressure` is never reset;
// dist/main.js:1026-1038), so its release, and with it the runner's promise, may never settle.
// The end of the pool's shutdown is taken from its events instead.
// While the database is unreachable graphile-worker's error lines are left out: the pool reports
// the outage once, and they are its consequences.
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger, run, type TaskList, type WorkerEvents } from "graphile-worker";
import type { PgPool } from "../db/pool.ts";

export type SupervisedRunnerOptions = {
  /** A pool created with `whileUnreachable: "wait"`. */
  pool: PgPool;
  concurrency: number;
  pollInterval: number;
  /** graphile-worker's localQueue.size: jobs fetched (and locked) per round trip; unset: one at a time. */
  localQueueSize?: number;
  taskList: TaskList;
  onError: (message: string, error?: unknown) => void;
  /** Least time between a runner stopping and the next start (default 1 s; doubled after each failed start). */
  restartDelayMs?: number;
};

export type SupervisedRunner = {
  /** False between a runner stopping and its replacement starting, and after stop(). */
  readonly running: boolean;
  stop(): Promise<void>;
};

const SETTLE_MS = 100;
const MAX_RESTART_DELAY_MS = 60_000;

type Generation = {
  /** graphile-worker's worker pools: what their jobs are locked by. */
  poolIds: string[];
  /** Whether the pool gave up because of an outage (then its end needs no report). */
  failedInOutage: boolean;
  /** Settles once the worker pool has stopped working, for whatever reason. */
  done: Promise<void>;
  stop(): Promise<void>;
};

export async function startSupervisedRunner(options: SupervisedRunnerOptions): Promise<SupervisedRunner> {
  const { pool, onError, restartDelayMs = 1000 } = options;
  const stopping = new AbortController();
  const logger = new Logger(() => (level, message) => {
    if (level === "error" && pool.health.reachable) onError(`[worker] ${message}`);
  });

  const start = async (): Promise<Generation> => {
    // Listeners first: 'pool:create' is emitted inside run().
    const events: WorkerEvents = new EventEmitter();
    const poolIds: string[] = [];
    let failedInOutage = false;
    let fatal = false;
    events.on("pool:create", ({ workerPool }) => poolIds.push(workerPool.id));
    events.on("pool:fatalError", () => {
      fatal = true;
      failedInOutage ||= !pool.health.reachable;
    });
    // A fatal error is a query that failed with its connection, and the workers' queries on the
    // other connections fail in the same moment. Shutting down a little later lets each worker
    // take that failure as a failed poll; a worker released first reports it with console.trace
    // (dist/main.js:979), once per worker.
    const settleFirst: GraphileConfig.Plugin = {
      name: "StepstreamSettleBeforeShutdown",
      version: "1.0.0",
      worker: {
        middleware: {
          async poolGracefulShutdown(next) {
            if (fatal) await sleep(SETTLE_MS);
            return next();
          },
        },
      },
    };
    const shutDown = new Promise<void>((resolve) => {
      events.once("pool:gracefulShutdown:complete", () => resolve());
      events.once("pool:forcefulShutdown:complete", () => resolve());
      events.once("pool:forcefulShutdown:error", () => resolve());
    });
    const runner = await run({
      pgPool: pool,
      concurrency: options.concurrency,
      noHandleSignals: true,
      pollInterval: options.pollInterval,
      logger,
      events,
      taskList: options.taskList,
      preset: {
        plugins: [settleFirst],
        worker: {
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
          ...(options.localQueueSize ? { localQueue: { size: options.localQueueSize } } : {}),
        },
      },
    });
    const done = Promise.race([runner.promise.catch(() => {}), shutDown]);
    let stopped: Promise<void> | null = null;
    return {
      poolIds,
      get failedInOutage() {
        return failedInOutage;
      },
      done,
      // A runner that stopped itself rejects ("Runner is already stopped"): nothing to do then.
      stop: () => (stopped ??= Promise.race([runner.stop().catch(() => {}), done])),
    };
  };

  let current = await start();
  // Worker pools whose locked jobs are still to be released (kept until a release succeeds).
  const orphans = new Set<string>();

  /** A new runner once the database answers; rejects when stopping. */
  const restart = async (): Promise<Generation> => {
    // Failed starts while the database answers: each doubles the delay, so that a start that keeps
    // failing (say, on a newer worker's breaking migration) is reported about once a minute.
    let failures = 0;
    for (;;) {
      const delay = Math.min(restartDelayMs * 2 ** failures, MAX_RESTART_DELAY_MS);
      await sleep(delay, undefined, { signal: stopping.signal });
      await pool.whenReachable(stopping.signal);
      try {
        if (orphans.size > 0) {
          await pool.query("SELECT graphile_worker.force_unlock_workers($1::text[])", [[...orphans]]);
          orphans.clear();
        }
        const next = await start();
        if (!stopping.signal.aborted) return next;
        await next.stop();
      } catch (error) {
        if (stopping.signal.aborted || !pool.health.reachable) continue;
        failures += 1;
        onError("Worker failed to restart; trying again", error);
      }
    }
  };
  let running = true;
  const supervise = async () => {
    for (;;) {
      await current.done;
      running = false;
      await current.stop();
      if (stopping.signal.aborted) return;
      for (const id of current.poolIds) orphans.add(id);
      if (!current.failedInOutage) onError("Worker stopped unexpectedly; restarting it");
      try {
        current = await restart();
        running = true;
      } catch {
        return;
      }
    }
  };
  const supervising = supervise();

  return {
    get running() {
      return running && !stopping.signal.aborted;
    },
    async stop() {
      stopping.abort();
      await current.stop();
      await supervising;
    },
  };
}
