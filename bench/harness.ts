// withBenchApp: a fresh database on the admin server, the real app in this process on 127.0.0.1:0
// with every SQL statement counted, and a separate (uncounted) pg client for the benchmark's own
// polling. Everything it starts is stopped and the database dropped, whatever happens.
import pg from "pg";
import { type App, createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { migrateDatabase } from "../src/db/migrate.ts";
import { lineText, recordingLogger } from "../test/support/logs.ts";
import type { ProfileOptions } from "./cpu-profile.ts";
import { createSqlRecorder, type SqlRecorder } from "./sql-profile.ts";

export const DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export type BenchEnv = {
  /** A PostgreSQL server on 127.0.0.1 where databases may be created and dropped. */
  adminUrl: string;
  /** A migrated database each benchmark's database is copied from (see withTemplate). */
  template: string;
  /** Aborted on Ctrl-C: loops stop early, cleanup still runs. */
  signal: AbortSignal;
  profile: ProfileOptions;
  /** Shorter runs that only check a benchmark works (bench/main.ts --duration, --executions). */
  quick?: { durationMs?: number; executions?: number };
};

export type BenchApp = {
  app: App;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  databaseUrl: string;
  sql: SqlRecorder;
  /** For the benchmark's own reads (polling, checks); not counted in `sql`. */
  pg: pg.Client;
  /** Errors the app logged (they would otherwise be silent). */
  errors: string[];
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
};

export function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) {
    throw new Error(`benchmarks only talk to 127.0.0.1; ${host} is not local`);
  }
}

export function withDatabaseName(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Connections the server would still accept (max_connections minus those open, minus reserved). */
export async function freeConnections(adminUrl: string): Promise<number> {
  return admin(adminUrl, async (c) => {
    const { rows } = await c.query<{ free: number }>(
      `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`,
    );
    return rows[0]?.free ?? 0;
  });
}

export async function postgresVersion(adminUrl: string): Promise<string> {
  return admin(adminUrl, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown");
}

/**
 * Migrates one template database for the whole run: `prisma migrate deploy` costs ~12 s, a copy
 * (CREATE DATABASE ... TEMPLATE) milliseconds, and every benchmark still starts from a fresh one.
 */
export async function withTemplate<T>(adminUrl: string, fn: (template: string) => Promise<T>): Promise<T> {
  assertLocal(adminUrl);
  const template = `stepstream_bench_${process.pid}_template`;
  const drop = () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  await drop();
  try {
    await admin(adminUrl, (c) => c.query(`CREATE DATABASE "${template}"`));
    await migrateDatabase(withDatabaseName(adminUrl, template));
    return await fn(template);
  } finally {
    await drop();
  }
}

/** Resources the app left behind after stop(), across every benchmark of this run. */
export const leaks: string[] = [];

/**
 * `countSql: false` starts the app without onQuery: Prisma's query events cost ~0.1–0.6 ms of CPU
 * per statement, which a CPU-bound benchmark feels; `sql` then stays empty.
 */
export async function withBenchApp<T>(
  env: BenchEnv,
  settings: Record<string, string>,
  fn: (bench: BenchApp) => Promise<T>,
  { countSql = true }: { countSql?: boolean } = {},
): Promise<T> {
  assertLocal(env.adminUrl);
  const name = `stepstream_bench_${process.pid}`;
  await admin(env.adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}" TEMPLATE "${env.template}"`);
  });
  const databaseUrl = withDatabaseName(env.adminUrl, name);
  const sql = createSqlRecorder();
  const errors: string[] = [];
  const quiet = recordingLogger("error", (line) => errors.push(lineText(line))).log;
  let app: App | undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    app = await createApp(
      // Dev mode: the benchmark clients send no credentials (an API key would be one cached hash
      // lookup per request); tenant scoping, which every query pays for, is measured as served.
      // No rate limit: the benchmarks are the flood it would stop.
      loadConfig({
        NODE_ENV: "production",
        AUTH_DEV_MODE: "true",
        RATE_LIMIT_MUTATIONS: "0",
        DATABASE_URL: databaseUrl,
        LOG_SQL: "false",
        ...settings,
      }),
      { log: quiet, onQuery: countSql ? sql.record : undefined },
    );
    const { url } = await app.start(0, "127.0.0.1");
    await client.connect();
    const graphql = async <R>(query: string, variables?: Record<string, unknown>): Promise<R> => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: R; errors?: unknown[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    return await fn({ app, url, databaseUrl, sql, pg: client, errors, graphql });
  } finally {
    await client.end().catch(() => {});
    try {
      await app?.stop();
      // Everything the app started must be stopped. A backend takes a moment to exit after its
      // client closed the socket, so only connections still there after a grace period count.
      const left = await openConnections(env.adminUrl, name, 2_000);
      if (left.length > 0) leaks.push(`${left.length} database connection(s) still open 2 s after app.stop(): ${left.join("; ")}`);
    } finally {
      await admin(env.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  }
}

/** Connections to `database` (as "state: query") that are still there after `graceMs`. */
async function openConnections(adminUrl: string, database: string, graceMs: number): Promise<string[]> {
  return admin(adminUrl, async (c) => {
    const deadline = Date.now() + graceMs;
    for (;;) {
      const { rows } = await c.query<{ state: string; query: string }>(
        "SELECT state, left(query, 80) AS query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database],
      );
      if (rows.length === 0 || Date.now() > deadline) return rows.map((r) => `${r.state}: ${r.query.replace(/\s+/g, " ")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

/** Resolves when `check` returns a value other than undefined; polls every `everyMs`, gives up after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { everyMs = 25, timeoutMs = 60_000, signal }: { everyMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (signal?.aborted) throw new Error(`aborted while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
