// Plays planned runs through the engine: each execution is created by the engine's lifecycle and
// run by its runner, in this process, as a worker would run it, on the run's own simulated clock
// (AsyncLocalStorage gives every concurrent run its own). The seed only decides what the actions
// answer and when the worker comes back (after a sleep, for an automatic retry); every execution,
// batch, step, event and log row is written by the engine's store.
//
// Two lanes, one per pool (the store's prepared statements differ between them): the history
// queues no jobs, since the seed runs those executions to their end itself; the runs left open for
// the worker are created and put to sleep with their jobs queued, as in production.
import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import type { Db } from "../db/client.ts";
import { createTenantScopes } from "../db/tenant-scope.ts";
import { createCancellationRegistry } from "../engine/cancellations.ts";
import type { Actor, ExecutionStatus, TriggerSource } from "../engine/events.ts";
import { SYSTEM_ACTORS } from "../engine/events.ts";
import { createLifecycle, type Lifecycle } from "../engine/lifecycle.ts";
import { createRunner, type Runner } from "../engine/runner.ts";
import { createPgStore } from "../engine/store/pg-store.ts";
import { createSqlRunner, type JobSql } from "../engine/store/sql.ts";
import type { RunCommit, SystemStore, TenantStore } from "../engine/store/store.ts";
import { jobSql } from "../jobs/queue.ts";
import { automaticRetry } from "../services/executions.ts";
import { createSeedActions, type ScriptedRun } from "./actions.ts";
import { createSimClock } from "./clock.ts";
import { type PlannedRun, planRetry } from "./plan.ts";
import { createRunScript } from "./script.ts";

export type PlayerOptions = {
  url: string;
  db: Db;
  tenantId: string;
  /** Runs of the history at once. */
  concurrency: number;
  now: number;
  /** Retries due after this are planned to succeed, so that none is still scheduled at `now`. */
  historyEnd: number;
  /** Called once per execution the seed is done with. */
  onExecution: () => void;
};

export type Player = {
  /** Plays a run of the history to its end, then each automatic retry the engine schedules for it. */
  history(planned: PlannedRun, onRetry: () => void): Promise<void>;
  /** Creates a run for the worker and, for a RUNNING one, runs it until it sleeps. */
  leave(planned: PlannedRun): Promise<void>;
  close(): Promise<void>;
};

type Lane = { lifecycle: Lifecycle; runner: Runner; store: SystemStore };

type SeedRun = ScriptedRun & {
  planned: PlannedRun;
  lane: Lane;
  id: string;
  /** What the run's last accepted commit wrote. */
  last: RunCommit | null;
  plannedCancel: number | undefined;
  cancelled: boolean;
  error: unknown;
};

type Ending = { id: string; status: ExecutionStatus; nextRetryAt: Date | null };

// The seed's runs last milliseconds of real time; a lease only matters for those left open.
const LEASE_MS = 15_000;
const MAX_PAYLOAD_BYTES = 1024 ** 2;
// The seed plays the worker for its history: nothing is queued for it (SQL NULL: no job).
const NO_JOBS: JobSql = { run: () => "NULL", retry: () => "NULL" };

export function createPlayer(options: PlayerOptions): Player {
  const { tenantId } = options;
  const runs = new AsyncLocalStorage<SeedRun>();
  const current = () => {
    const run = runs.getStore();
    if (!run) throw new Error("the seed's clock was read outside a run");
    return run;
  };
  const now = () => current().clock.now();
  const cancellations = createCancellationRegistry();
  const actions = createSeedActions(current);
  const errors: unknown[] = [];
  const pools: pg.Pool[] = [];

  const lane = (jobs: JobSql, connections: number): Lane => {
    const pool = new pg.Pool({ connectionString: options.url, max: connections });
    pool.on("error", (error) => errors.push(error));
    pools.push(pool);
    const store = watched(createPgStore({ sql: createSqlRunner(pool), jobs }), () => runs.getStore());
    const publish = () => {};
    return {
      store,
      lifecycle: createLifecycle({ store, publish, cancellations, leaseMs: LEASE_MS, now }),
      runner: createRunner({
        store,
        actions,
        services: { fetch: refuse("makes no HTTP requests") as typeof fetch, now },
        sendEmail: refuse("sends no email"),
        publish,
        leaseMs: LEASE_MS,
        cancellations,
        maxWorkerLosses: 3,
        maxPayloadBytes: MAX_PAYLOAD_BYTES,
        onError: (_message, error) => errors.push(error),
        wait: (ms, signal) => current().clock.until(now() + ms, signal),
      }),
    };
  };
  const historyLane = lane(NO_JOBS, options.concurrency + 1);
  const liveLane = lane(jobSql, 2);
  const scoped = createTenantScopes(options.db)(tenantId);

  const start = (planned: PlannedRun, into: Lane): SeedRun => {
    const clock = createSimClock(planned.createdAt);
    const { profile } = planned.workflow;
    const { definition } = planned.version;
    const { input, target, rng } = planned;
    const script = createRunScript({ profile, definition, input, target, rng });
    const run: SeedRun = {
      clock,
      script,
      planned,
      lane: into,
      id: "",
      last: null,
      plannedCancel: undefined,
      cancelled: false,
      error: null,
      cancelAt(at) {
        run.plannedCancel = at;
        clock.interrupt(at, () => void cancel(run));
      },
    };
    return run;
  };

  const cancel = async (run: SeedRun) => {
    const { reason, by } = run.planned.cancel ?? { reason: "Cancelled by the seed", by: "seed" };
    try {
      await run.lane.lifecycle.cancel(tenantId, { id: run.id, reason, by: seedActor(by) });
      run.cancelled = true;
    } catch (error) {
      run.error ??= error;
    }
  };

  /** Runs an execution forward, stint by stint, the way the worker's jobs would. */
  const drive = async (run: SeedRun): Promise<Ending | null> => {
    const { planned, clock } = run;
    const ended = (status: ExecutionStatus, nextRetryAt: Date | null = null) => ({ id: run.id, status, nextRetryAt });
    if (planned.target === "PENDING") return null;
    if (planned.cancel?.queuedForMs !== undefined) {
      clock.set(planned.createdAt + planned.cancel.queuedForMs);
      await cancel(run);
      if (run.error) throw run.error;
      return ended("CANCELLED");
    }
    clock.set(planned.createdAt + planned.queueDelayMs);
    // The runner's own timer counts real time; the run's deadline on its clock aborts it the same way.
    const timeoutMs = planned.version.definition.timeoutMs;
    if (timeoutMs !== undefined) clock.interrupt(clock.now() + timeoutMs, () => cancellations.abort(run.id, "timeout"));
    for (;;) {
      const result = await run.lane.runner.run(tenantId, run.id);
      if (run.error) throw run.error;
      if (run.cancelled) return ended("CANCELLED");
      const last = run.last;
      if (result === "finished" && last) return ended(last.execution.status, last.execution.nextRetryAt);
      if (result !== "sleeping" || !last?.wakeAt) {
        throw new Error(`seeded execution ${run.id} stopped (${result})`, { cause: errors[0] });
      }
      if (planned.target === "RUNNING") return null;
      const wakeAt = last.wakeAt.getTime();
      if (run.plannedCancel !== undefined && run.plannedCancel < wakeAt) {
        clock.set(run.plannedCancel);
        await cancel(run);
        if (run.error) throw run.error;
        return ended("CANCELLED");
      }
      // Its wake-up job runs a little after it is due (the worker polls).
      clock.set(wakeAt + planned.rng.latency(250, 0.6));
    }
  };

  const create = async (run: SeedRun) => {
    const { planned } = run;
    const result = await run.lane.lifecycle.create(tenantId, {
      workflowId: planned.workflow.id,
      workflowVersion: planned.version.version,
      steps: planned.version.definition.steps,
      input: planned.input,
      idempotencyKey: planned.idempotencyKey,
      triggerEvent: planned.triggerEvent,
      triggerSource: planned.triggerSource,
      startedBy: starterOf(planned.triggerSource),
    });
    if (result.kind !== "created") throw new Error(`the engine did not create a seeded execution (${result.kind})`);
    run.id = result.execution.id;
  };

  return {
    async history(first, onRetry) {
      let planned = first;
      let run = start(planned, historyLane);
      let ending = await runs.run(run, async () => {
        await create(run);
        return drive(run);
      });
      options.onExecution();
      while (ending?.nextRetryAt) {
        // The retry job: what the worker does when an automatic retry falls due.
        const due = ending.nextRetryAt.getTime();
        if (due > options.now) throw new Error(`a seeded retry of ${ending.id} falls due after the seed's "now"`);
        onRetry();
        planned = planRetry(planned, due, due > options.historyEnd);
        const of = ending.id;
        run = start(planned, historyLane);
        ending = await runs.run(run, async () => {
          const retry = await automaticRetry({ db: scoped, engine: historyLane.lifecycle }, of);
          if (!retry) throw new Error(`the engine did not create the scheduled retry of ${of}`);
          run.id = retry.id;
          return drive(run);
        });
        options.onExecution();
      }
    },
    async leave(planned) {
      const run = start(planned, liveLane);
      await runs.run(run, async () => {
        await create(run);
        await drive(run);
      });
      options.onExecution();
    },
    async close() {
      // The worker folds the rollup's deltas every sweep; the seed leaves none behind.
      try {
        while ((await historyLane.store.compactRollup(50_000)) > 0);
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    },
  };
}

/**
 * The engine's store, with each commit and cancel of a seeded run holding that run's clock, and the
 * last accepted commit kept on the run (how it ended, when it wakes).
 */
/** A reservation made on the seed's clock, moved to at least LEASE_MS from now in real time. */
function inRealTime(reservedUntil: Date): Date {
  return new Date(Math.max(reservedUntil.getTime(), Date.now() + LEASE_MS));
}

function watched(store: SystemStore, runOf: () => SeedRun | undefined): SystemStore {
  const tenants = new Map<string, TenantStore>();
  return {
    ...store,
    tenant(tenantId) {
      let tenant = tenants.get(tenantId);
      if (!tenant) {
        const inner = store.tenant(tenantId);
        tenant = {
          ...inner,
          // The seed's clock is in the past, so a reservation on it looks expired to a server that
          // runs meanwhile: its sweeper would hand the run to its own worker mid-seed (and the seed
          // would find it not claimed). Reservations are kept in real time instead.
          create(execution) {
            return inner.create({ ...execution, reservedUntil: inRealTime(execution.reservedUntil) });
          },
          async commit(owner, change) {
            const run = runOf();
            const kept = change.release?.reservedUntil
              ? { ...change, release: { ...change.release, reservedUntil: inRealTime(change.release.reservedUntil) } }
              : change;
            const ok = await (run ? run.clock.hold(inner.commit(owner, kept)) : inner.commit(owner, kept));
            if (ok && run) run.last = change;
            return ok;
          },
          cancel(executionId, input) {
            const run = runOf();
            return run ? run.clock.hold(inner.cancel(executionId, input)) : inner.cancel(executionId, input);
          },
          // The runner renews before a batch too (to see a pause request): the clock stays still
          // meanwhile, or a planned cancel could land in that window depending on the database's speed.
          renew(executionId, owner, leaseMs) {
            const run = runOf();
            const renewal = inner.renew(executionId, owner, leaseMs);
            return run ? run.clock.hold(renewal) : renewal;
          },
        };
        tenants.set(tenantId, tenant);
      }
      return tenant;
    },
  };
}

function refuse(what: string) {
  return async (): Promise<never> => {
    throw new Error(`the seed ${what}: its actions answer from a script`);
  };
}

/** The seed's people and keys as actors: "api-key:<name>" is an API key, anything else a person. */
function seedActor(by: string): Actor {
  return by.startsWith("api-key:")
    ? { kind: "API_KEY", id: `seed-${by.slice(8)}`, name: by.slice(8) }
    : { kind: "USER", id: by, name: by };
}

/** Who starts a seeded run of that trigger source, as a live one would be started. */
function starterOf(source: TriggerSource): Actor {
  switch (source) {
    case "MANUAL":
      return seedActor("ada@acme.example");
    case "API":
    case "EVENT":
      return seedActor("api-key:ops-cli");
    case "SCHEDULE":
      return SYSTEM_ACTORS.schedule;
    case "RETRY":
      return SYSTEM_ACTORS.retry;
    default: {
      const unreachable: never = source;
      throw new Error(`unknown trigger source ${String(unreachable)}`);
    }
  }
}
