// Applies prisma/migrations on start. The migrations are made and applied by Prisma Migrate; this
// module only decides whether it needs to run. `prisma migrate deploy` costs ~12 s here (its Wasm
// engine idles ~10 s before exiting), so a start whose database is up to date pays one query
// instead, and two processes starting at once take turns under an advisory lock.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const migrationsDir = path.join(projectRoot, "prisma/migrations");
// Any constant unique to Stepstream; Prisma takes its own, different advisory lock inside deploy.
const MIGRATE_LOCK = 0x5ce9_57e0;

export type MigrateResult = { applied: string[] };

async function localMigrations(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function pendingMigrations(client: pg.Client | pg.Pool, local: string[]): Promise<string[]> {
  const { rows } = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
  );
  if (!rows[0]?.exists) return local;
  const applied = await client.query<{ migration_name: string }>(
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
  );
  const done = new Set(applied.rows.map((r) => r.migration_name));
  return local.filter((name) => !done.has(name));
}

async function runPrismaMigrateDeploy(url: string): Promise<void> {
  const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  try {
    await promisify(execFile)(process.execPath, [cli, "migrate", "deploy"], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: url },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`prisma migrate deploy failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

/** Migrations of this checkout the database has not applied (readiness checks ask). */
export async function pendingMigrationCount(pool: pg.Pool): Promise<number> {
  return (await pendingMigrations(pool, await localMigrations())).length;
}

/** Brings the database at `url` up to date with prisma/migrations; safe to call concurrently. */
export async function migrateDatabase(url: string, onProgress?: (line: string) => void): Promise<MigrateResult> {
  const local = await localMigrations();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if ((await pendingMigrations(client, local)).length === 0) return { applied: [] };
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK]);
    try {
      // Another process may have applied them while this one waited for the lock.
      const pending = await pendingMigrations(client, local);
      if (pending.length > 0) {
        onProgress?.(`Applying ${pending.length} migration(s) with Prisma Migrate (~12 s)…`);
        await runPrismaMigrateDeploy(url);
      }
      return { applied: pending };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK]);
    }
  } finally {
    await client.end();
  }
}
