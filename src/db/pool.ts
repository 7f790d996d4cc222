// The pg pools this project opens itself (graphile-worker's, the Prisma adapter's, the engine's)
// come from here, so that losing the database neither crashes the process nor floods the log:
// - every pool and every client has an 'error' listener: without one a dropped connection is an
//   uncaught 'error' event and the process exits; a listener that logs the error dumps a whole
//   pg Client, once per connection;
// - one health state per database reports an outage once ("database unreachable: <reason>") and
//   its end once ("database reachable again after N s"), however many connections fail between;
// - a pool may wait out an outage (`whileUnreachable: "wait"`): new connections are held, not
//   refused, until the database answers again; one probe connection with back-off finds out when.
//
//   const health = createDatabaseHealth({ url, log });            // once per process and database
//   const pool = createPgPool({ url, max: 10, name: "engine", health });
//   ...; await pool.end();
import pg from "pg";

export type PoolLog = { error(message: string): void; info(message: string): void };

/** Whether the database answers, as seen by the pools that share this state. */
export type DatabaseHealth = {
  /**
   * False from the moment a connection is lost or cannot be opened until one opens again. Use it
   * to skip periodic work, and to leave unlogged the errors that the outage already explains.
   */
  readonly reachable: boolean;
  /**
   * Called with false when an outage is confirmed (a connection could not be opened: a lost
   * connection alone is not one) and with true when it ends. Returns an unsubscribe function.
   */
  onChange(listener: (reachable: boolean) => void): () => void;
  /** Resolves once the database answers (at once if it does), probing it meanwhile; rejects on abort. */
  whenReachable(signal?: AbortSignal): Promise<void>;
  /** For pools: a connection was lost (`confirmed` false) or could not be opened (true). */
  failed(error: unknown, pool: string, confirmed: boolean): void;
  /** For pools: a connection was opened. */
  connected(): void;
};

export type DatabaseHealthOptions = {
  /** The database to probe while it is unreachable. */
  url: string;
  /** Where the outage and recovery lines go (default console). */
  log?: PoolLog;
  /** How long opening a connection may take before it counts as failed (default 10 s). */
  connectTimeoutMs?: number;
};

const PROBE_BACKOFF_MS = [250, 500, 1000, 2000];

export function createDatabaseHealth(options: DatabaseHealthOptions): DatabaseHealth {
  const { url, log = console, connectTimeoutMs = 10_000 } = options;
  let downSince: number | null = null;
  let firstNoticedBy = "";
  let reported = false;
  let recovered = deferred();
  let waiters = 0;
  let probing = false;
  const listeners = new Set<(reachable: boolean) => void>();
  const notify = (reachable: boolean) => {
    for (const listener of listeners) listener(reachable);
  };

  const health: DatabaseHealth = {
    get reachable() {
      return downSince === null;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async whenReachable(signal) {
      signal?.throwIfAborted();
      if (downSince === null) return;
      waiters += 1;
      void probe();
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal?.reason);
          signal?.addEventListener("abort", onAbort, { once: true });
          void recovered.promise.then(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          });
        });
      } finally {
        waiters -= 1;
      }
    },
    failed(error, pool, confirmed) {
      if (downSince === null) {
        downSince = Date.now();
        firstNoticedBy = pool;
        // A lost connection may have been the only one; a probe tells at once.
        void probe();
      }
      if (!confirmed || reported) return;
      reported = true;
      log.error(`database unreachable: ${reasonOf(error)} (${firstNoticedBy} pool)`);
      notify(false);
    },
    connected() {
      if (downSince === null) return;
      const seconds = ((Date.now() - downSince) / 1000).toFixed(1);
      downSince = null;
      recovered.resolve();
      recovered = deferred();
      if (!reported) return;
      reported = false;
      log.info(`database reachable again after ${seconds} s`);
      notify(true);
    },
  };

  // One connection at a time, outside every pool (a held pool must not hold its own probe): once
  // after a failure, then with back-off for as long as anyone waits for the database.
  const probe = async () => {
    if (probing) return;
    probing = true;
    try {
      for (let attempt = 0; downSince !== null && (attempt === 0 || waiters > 0); attempt += 1) {
        if (attempt > 0) await sleep(PROBE_BACKOFF_MS[Math.min(attempt - 1, PROBE_BACKOFF_MS.length - 1)] as number);
        const client = new pg.Client({
          connectionString: url,
          connectionTimeoutMillis: connectTimeoutMs,
          application_name: "stepstream-probe",
        });
        client.on("error", () => {});
        try {
          await client.connect();
          health.connected();
        } catch (error) {
          health.failed(error, "probe", true);
        } finally {
          void client.end().catch(() => {});
        }
      }
    } finally {
      probing = false;
    }
  };
  return health;
}

export type PgPoolOptions = {
  url: string;
  max: number;
  /** Names the pool in log lines and in pg_stat_activity (application_name `stepstream-<name>`). */
  name: string;
  /** Shared by the process's pools on the same database; default: the pool's own (reporting to `log`). */
  health?: DatabaseHealth;
  /** Where a pool without a shared `health` reports (default console). */
  log?: PoolLog;
  /**
   * "fail" (default): while the database is unreachable, connecting fails as it would without this
   * module (requests get an error at once). "wait": connecting waits until the database answers
   * (a queue worker then pauses instead of polling a database that is not there).
   */
  whileUnreachable?: "fail" | "wait";
  /** How long opening a connection may take before it fails (default 10 s); waiting in "wait" mode is not counted. */
  connectTimeoutMs?: number;
};

export type PgPool = pg.Pool & {
  readonly health: DatabaseHealth;
  /** health.whenReachable, also rejecting once the pool is ended. */
  whenReachable(signal?: AbortSignal): Promise<void>;
};

export function createPgPool(options: PgPoolOptions): PgPool {
  const { url, max, name, whileUnreachable = "fail", connectTimeoutMs = 10_000 } = options;
  const health = options.health ?? createDatabaseHealth({ url, log: options.log, connectTimeoutMs });
  const ended = new AbortController();
  const whenReachable = (signal?: AbortSignal) =>
    health.whenReachable(signal ? AbortSignal.any([signal, ended.signal]) : ended.signal);

  // pg.Pool has no event for a connection that fails to open; a Client of our own reports it (and
  // holds it in "wait" mode). The pool calls connect with a callback only.
  class ObservedClient extends pg.Client {
    constructor(config: pg.ClientConfig) {
      // The connect timeout goes to the client, so that time spent waiting is not counted.
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs });
    }
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
      if (!callback) {
        return new Promise((resolve, reject) => this.connect((error) => (error ? reject(error) : resolve(this))));
      }
      const open = () =>
        super.connect((error: Error) => {
          if (error) health.failed(error, name, true);
          else health.connected();
          callback(error);
        });
      if (whileUnreachable === "fail" || health.reachable) return open();
      whenReachable().then(open, callback);
    }
  }
  const lost = (error: Error) => health.failed(error, name, false);

  class ObservedPool extends pg.Pool {
    readonly health = health;
    readonly whenReachable = whenReachable;
    override end(): Promise<void>;
    override end(callback: () => void): void;
    override end(callback?: () => void): Promise<void> | void {
      ended.abort(new Error(`The ${name} pool was ended while waiting for the database`));
      return callback ? super.end(callback) : super.end();
    }
  }
  const pool = new ObservedPool({
    connectionString: url,
    max,
    application_name: `stepstream-${name}`,
    Client: ObservedClient as unknown as new () => pg.ClientBase,
  });
  // Idle clients report through the pool, checked-out ones only on themselves.
  pool.on("error", lost);
  pool.on("connect", (client) => client.on("error", lost));
  return pool;
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** One line: pg's errors carry the whole Client; Node's connect errors may be message-less AggregateErrors. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || (typeof code === "string" ? code : error.name);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
