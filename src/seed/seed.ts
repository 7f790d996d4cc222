// seed(db): replaces the demo data of one tenant (the dev tenant by default) with freshly generated
// workflows and executions. See main.ts for what `npm run seed` does with it.
import type { Db } from "../db/client.ts";
import { ensureTenant } from "../db/tenants.ts";
import { generateRows } from "./generate.ts";
import type { SeedRows } from "./rows.ts";
import { WORKFLOWS } from "./workflows.ts";
import { insertRows, resetTenantWorkflows, SEEDED_TABLES } from "./write.ts";

export type SeedOptions = {
  /** How many executions to create (default 5,000). */
  executions?: number;
  /** Seed of the pseudo-random generator: the same seed and `now` write the same data (ids aside). */
  randomSeed?: number;
  /** The instant the 30 days of history end at; tests pin it. */
  now?: Date;
  /** The tenant to (re)fill, created when missing; the dev tenant by default. */
  tenant?: { slug: string; name: string };
};

export type SeedSummary = {
  tenantId: string;
  /** Rows written per table. */
  counts: { [K in keyof SeedRows]: number };
  /** Workflows (with everything under them) the reset removed first. */
  replacedWorkflows: number;
  timings: { generateMs: number; writeMs: number; vacuumMs: number };
};

export const DEV_TENANT = { slug: "dev", name: "Development" } as const;
const DEFAULT_EXECUTIONS = 5000;
const DEFAULT_RANDOM_SEED = 20_261_122;
// Large enough for 5,000 executions on a slow machine; Prisma's default of 5 s is for requests.
const TRANSACTION_TIMEOUT_MS = 5 * 60_000;

export async function seed(db: Db, options: SeedOptions = {}): Promise<SeedSummary> {
  const { slug, name } = options.tenant ?? DEV_TENANT;
  const tenant = await ensureTenant(db, { slug, name });

  const started = performance.now();
  const rows = generateRows(WORKFLOWS, {
    tenantId: tenant.id,
    executions: options.executions ?? DEFAULT_EXECUTIONS,
    seed: options.randomSeed ?? DEFAULT_RANDOM_SEED,
    now: options.now ?? new Date(),
  });
  const generated = performance.now();

  // Reset and re-create in one transaction: readers see the old data or the new, never a mix or nothing.
  const replacedWorkflows = await db.$transaction(
    async (tx) => {
      const removed = await resetTenantWorkflows(tx, tenant.id);
      await insertRows(tx, rows);
      return removed;
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 30_000 },
  );
  const written = performance.now();
  // The reset leaves every old row dead, and autovacuum is off on some of our PostgreSQL servers:
  // without this each re-run grows the tables, and the dashboard's queries are planned without
  // statistics. VACUUM cannot run inside the transaction, so it follows the commit.
  await db.$executeRawUnsafe(`VACUUM (ANALYZE) ${SEEDED_TABLES.map((t) => `"${t}"`).join(", ")}`);
  const vacuumed = performance.now();

  const counts = Object.fromEntries(
    Object.entries(rows).map(([table, list]) => [table, list.length]),
  ) as SeedSummary["counts"];
  return {
    tenantId: tenant.id,
    counts,
    replacedWorkflows,
    timings: {
      generateMs: Math.round(generated - started),
      writeMs: Math.round(written - generated),
      vacuumMs: Math.round(vacuumed - written),
    },
  };
}
