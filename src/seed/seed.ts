// seed(): replaces the demo data of one tenant (the dev tenant by default) with freshly planned
// workflows and executions, every execution run by the engine itself. See main.ts for what
// `npm run seed` does with it.
import type { Db } from "../db/client.ts";
import { ensureTenant } from "../db/tenants.ts";
import type { ExecutionStatus } from "../engine/events.ts";
import { migrateQueue } from "../jobs/queue.ts";
import { type PlannedWorkflow, planRuns, planWorkflows } from "./plan.ts";
import { createPlayer } from "./play.ts";
import { playInOrder } from "./window.ts";
import { WORKFLOWS } from "./workflows.ts";

export type SeedOptions = {
  /** How many executions to create (default 5,000). */
  executions?: number;
  /** Seed of the pseudo-random generator: the same seed and `now` write the same data (ids aside). */
  randomSeed?: number;
  /** The instant the 30 days of history end at; tests pin it. */
  now?: Date;
  /** The tenant to (re)fill, created when missing; the dev tenant by default. */
  tenant?: { slug: string; name: string };
  /** Told how far the seed got, every PROGRESS_EVERY executions. */
  onProgress?: (progress: { done: number; total: number; elapsedMs: number }) => void;
};

export type SeedSummary = {
  tenantId: string;
  /** Rows of the tenant per table, counted once the seed is done. */
  counts: Record<(typeof TABLES)[number][0], number>;
  statuses: Partial<Record<ExecutionStatus, number>>;
  /** Workflows (with everything under them) the reset removed first. */
  replacedWorkflows: number;
  timings: { resetMs: number; runMs: number; vacuumMs: number };
};

export const DEV_TENANT = { slug: "dev", name: "Development" } as const;
const PROGRESS_EVERY = 500;
export const DEFAULT_EXECUTIONS = 5000;
const DEFAULT_RANDOM_SEED = 20_261_122;
const TABLES = [
  ["workflows", "Workflow"],
  ["workflowVersions", "WorkflowVersion"],
  ["executions", "Execution"],
  ["batches", "Batch"],
  ["steps", "Step"],
  ["events", "ExecutionEvent"],
  ["logs", "LogEntry"],
] as const;
// Runs played at once; the machine's PostgreSQL, not this process, is what they wait for.
const CONCURRENCY = 32;

export async function seed(database: { db: Db; url: string }, options: SeedOptions = {}): Promise<SeedSummary> {
  const { db, url } = database;
  const { slug, name } = options.tenant ?? DEV_TENANT;
  const started = performance.now();
  // Not an upsert: processes starting at once must not race on the slug (see db/tenants.ts).
  const tenant = await ensureTenant(db, { slug, name });
  const tenantId = tenant.id;
  const now = (options.now ?? new Date()).getTime();
  const total = options.executions ?? DEFAULT_EXECUTIONS;

  // The runs left open queue jobs, so graphile-worker's schema must be there (idempotent).
  await migrateQueue(url);
  // The foreign keys cascade to versions, executions, batches, steps, events, log entries and the
  // folded rollups; the unfolded rollup deltas have no foreign key (engine/store/rollup.ts).
  const { count: replacedWorkflows } = await db.$transaction(async (tx) => {
    await tx.executionRollupDelta.deleteMany({ where: { tenantId } });
    await tx.stepRollupDelta.deleteMany({ where: { tenantId } });
    return tx.workflow.deleteMany({ where: { tenantId } });
  });
  const workflows = await createWorkflows(db, tenantId, planWorkflows(WORKFLOWS, now));
  const reset = performance.now();

  const plan = planRuns(workflows, { executions: total, seed: options.randomSeed ?? DEFAULT_RANDOM_SEED, now });
  let done = 0;
  const player = createPlayer({
    url,
    db,
    tenantId,
    concurrency: CONCURRENCY,
    now,
    historyEnd: plan.historyEnd,
    onExecution() {
      done += 1;
      if (done % PROGRESS_EVERY === 0) options.onProgress?.({ done, total, elapsedMs: performance.now() - reset });
    },
  });
  try {
    const { overflow } = await playInOrder(plan.history, {
      concurrency: CONCURRENCY,
      // Enough to keep CONCURRENCY runs busy, and at most 1/40 of the history, so that the retries
      // of its last runs still find a place in it.
      window: Math.min(64, Math.max(4, Math.floor(plan.history.length / 40))),
      play: (planned, onRetry) => player.history(planned, onRetry),
    });
    // Retries that found no place in the history stand in for runs that would have been left open.
    let spare = overflow;
    const fewer = <T>(list: T[]) => {
      const keep = Math.max(1, list.length - spare);
      spare -= list.length - keep;
      return list.slice(0, keep);
    };
    await Promise.all([...fewer(plan.pending), ...fewer(plan.running)].map((planned) => player.leave(planned)));
  } finally {
    await player.close();
  }
  const ran = performance.now();

  // The reset leaves every old row dead, and autovacuum is off on some of our PostgreSQL servers:
  // without this each re-run grows the tables, and the dashboard's queries are planned without
  // statistics.
  await db.$executeRawUnsafe(`VACUUM (ANALYZE) ${TABLES.map(([, table]) => `"${table}"`).join(", ")}`);
  const vacuumed = performance.now();

  return {
    tenantId,
    counts: await countRows(db, tenantId),
    statuses: Object.fromEntries(
      (await db.execution.groupBy({ by: ["status"], where: { tenantId }, _count: true })).map((g) => [
        g.status,
        g._count,
      ]),
    ),
    replacedWorkflows,
    timings: {
      resetMs: Math.round(reset - started),
      runMs: Math.round(ran - reset),
      vacuumMs: Math.round(vacuumed - ran),
    },
  };
}

/** Workflows and their versions are admin data, written as the API's CRUD would. */
async function createWorkflows(db: Db, tenantId: string, workflows: PlannedWorkflow[]) {
  const created = [];
  for (const workflow of workflows) {
    const { id } = await db.workflow.create({
      data: {
        tenantId,
        name: workflow.profile.name,
        description: workflow.profile.description,
        isActive: workflow.isActive,
        version: workflow.versions.length,
        createdAt: new Date(workflow.createdAt),
        updatedAt: new Date(workflow.updatedAt),
        versions: {
          create: workflow.versions.map((v) => ({
            tenantId,
            version: v.version,
            definition: v.raw as object,
            createdAt: new Date(v.since),
          })),
        },
      },
      select: { id: true },
    });
    created.push({ ...workflow, id });
  }
  return created;
}

async function countRows(db: Db, tenantId: string): Promise<SeedSummary["counts"]> {
  const selects = TABLES.map(
    ([key, table]) => `(SELECT count(*)::int FROM "${table}" WHERE "tenantId" = $1::uuid) AS "${key}"`,
  );
  const rows = await db.$queryRawUnsafe<SeedSummary["counts"][]>(`SELECT ${selects.join(", ")}`, tenantId);
  return rows[0] as SeedSummary["counts"];
}
