// The composition root: wires config → database → engine, worker, schema → HTTP server, and stops
// them in reverse.
import cluster from "node:cluster";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { createAuthenticator } from "./auth/authenticate.ts";
import type { Principal } from "./auth/principal.ts";
import { type Config, ConfigError } from "./config.ts";
import { UnauthenticatedError } from "./errors.ts";
import { type Context, type ContextServices, createContext } from "./context.ts";
import { createDb, type Db } from "./db/client.ts";
import { isConnectionError } from "./db/connection-errors.ts";
import { pendingMigrationCount } from "./db/migrate.ts";
import { openDatabase } from "./db/database.ts";
import { createDatabaseHealth, createPgPool } from "./db/pool.ts";
import { createQuery } from "./db/query.ts";
import { createTenantScopes } from "./db/tenant-scope.ts";
import { builtInActions, createActionRegistry } from "./engine/actions/registry.ts";
import type { ActionHandler } from "./engine/actions/types.ts";
import { createCancellationRegistry } from "./engine/cancellations.ts";
import type { EngineEvent } from "./engine/events.ts";
import { createLifecycle } from "./engine/lifecycle.ts";
import { createRunner } from "./engine/runner.ts";
import { createPgStore } from "./engine/store/pg-store.ts";
import { createSqlRunner } from "./engine/store/sql.ts";
import { bulkOperationJobSql, jobSql, migrateQueue } from "./jobs/queue.ts";
import { syncPublicTemplates } from "./services/templates/templates.ts";
import { startWorker, type Worker } from "./jobs/worker.ts";
import { createListFeeds, type ListFeeds } from "./read/list-changes/feed.ts";
import { createEventBus, type EventBus } from "./realtime/event-bus.ts";
import { createFanout, type Fanout } from "./realtime/fanout.ts";
import { createRedisOutages } from "./realtime/redis-outages.ts";
import { watchTenant } from "./realtime/tenant-watch.ts";
import { attachGraphQLWs } from "./realtime/websocket.ts";
import { decodeIdOf, encodeGlobalId } from "./schema/global-id.ts";
import { preshapedData } from "./schema/execution/preshaped.ts";
import { schema } from "./schema/index.ts";
import { createDashboardStatic } from "./server/dashboard-static.ts";
import { createLogDownload } from "./server/log-download.ts";
import { createMutationLimiter, rateLimitPlugin } from "./server/rate-limit.ts";
import { sharedSubscriptionsPlugin } from "./realtime/shared-subscriptions.ts";
import { createMetricsRoute, METRICS_PATH } from "./server/metrics-route.ts";
import { observeRequests, requestObserverPlugin } from "./server/request-log.ts";
import { createGraphQLServer, GRAPHQL_PATH } from "./server/yoga.ts";
import { createLogger, type Logger } from "./telemetry/logger.ts";
import { clusterScrape } from "./telemetry/cluster-metrics.ts";
import { createMetrics } from "./telemetry/metrics.ts";
import { createEmailSender } from "./services/email.ts";
import type { ExecutionServices } from "./services/executions.ts";


export type App = {
  db: Db;
  /** The event bus subscriptions read (tests count its listeners to prove nothing leaks). */
  events: EventBus;
  /** Listens on `port` (0 picks a free one); resolves to the GraphQL URL. */
  start(port?: number, host?: string): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  /** This process's metrics (null without METRICS_TOKEN): a cluster's supervisor adds them to every scrape. */
  metricsRegistry: Registry | null;
  /**
   * Serves only /metrics on `port` (0 picks a free one): for a worker started on its own, which
   * serves no GraphQL. Resolves to the metrics URL; stop() closes it.
   */
  serveMetrics(port: number, host?: string): Promise<{ url: string; port: number }>;
};

export type AppOptions = {
  /** Default: a logger of the config's LOG_LEVEL and LOG_FORMAT on stdout. */
  log?: Logger;
  /** Sees every SQL statement the app runs (tests count them to catch N+1 queries). */
  onQuery?: (sql: string, durationMs: number) => void;
  /** Custom action types, next to the built-in ones (see README "Custom actions"). */
  actions?: readonly ActionHandler[];
  /** Where the built dashboard is served from at /dashboard (default: examples/dashboard/dist). */
  dashboardDir?: string;
};

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const { onQuery, actions = [], dashboardDir = DEFAULT_DASHBOARD_DIR } = options;
  const log = options.log ?? createLogger(config.log);
  // Collected only where someone may scrape them; the hot paths then cost a counter each.
  const metrics = config.metricsToken ? createMetrics({ processMetrics: config.env !== "test" }) : null;
  // An API process of a cluster (WEB_CONCURRENCY): a scrape answers for every process of it.
  const scrape = metrics && cluster.isWorker ? clusterScrape(metrics.registry) : metrics?.scrape;
  const database = await openDatabase(config, (line) => log.info(line));
  if (database.migrated.length > 0) log.info(`Applied migrations: ${database.migrated.join(", ")}`);
  await migrateQueue(database.url, (message) => log.error(message));
  const watchSql =
    config.logSql || onQuery
      ? (sql: string, ms: number) => {
          onQuery?.(sql, ms);
          if (config.logSql) log.info({ sql, durationMs: ms }, "sql");
        }
      : undefined;
  // One health for every pool of this process: an outage is logged once, its end once.
  const health = createDatabaseHealth({ url: database.url, log });
  const onPool = metrics ? metrics.trackPool : undefined;
  const db = createDb({ url: database.url, poolSize: config.databasePoolSize, health, onQuery: watchSql, onPool });
  // The engine's hot path runs on pg directly (Prisma costs ~1 ms of CPU per statement here).
  const enginePool = createPgPool({ url: database.url, max: config.databasePoolSize, name: "engine", health });
  // The read layer's hot path (the executions page) on pg directly too: one statement, no Prisma.
  const readPool = createPgPool({ url: database.url, max: config.databasePoolSize, name: "read", health });
  // Live list views read the change log on a pool of their own: catching-up subscribers never
  // take the engine's connections.
  const listPool = createPgPool({ url: database.url, max: 3, name: "list changes", health });
  for (const [name, pool] of [["engine", enginePool], ["read", readPool], ["list changes", listPool]] as const) onPool?.(name, pool);
  let worker: Worker | null = null;
  let events: EventBus | null = null;
  let redis: Redis | null = null;
  let listChanges: ListFeeds | null = null;
  let fanout: Fanout | null = null;
  try {
    const auth = await createAuthenticator(db, { ...config.auth, env: config.env });
    await syncPublicTemplates(db);
    const scoped = createTenantScopes(db);
    events = createEventBus({
      redisUrl: config.redisUrl,
      onError: (message, error) => log.error({ err: error }, message),
      log,
      idleRecheckMs: config.subscriptionIdleRecheckMs,
      ...(metrics ? { onOverflow: metrics.overflowed } : {}),
    });
    const bus = events;
    const publish = metrics
      ? (committed: EngineEvent[]) => {
          metrics.published(committed);
          bus.publish(committed);
        }
      : (committed: EngineEvent[]) => bus.publish(committed);
    const cancellations = createCancellationRegistry();
    // Shared resolutions are kept 0.5-1 s, not the default 5 s: kept longer, a burst of 20,000
    // events held ~10 MB more for a stalled subscriber (test/e2e/slow-subscriber.test.ts).
    fanout = createFanout({ retainMs: 500 });
    const engineSql = createSqlRunner(enginePool, watchSql);
    const store = createPgStore({ sql: engineSql, jobs: jobSql });
    const onError = (message: string, error?: unknown) => (error === undefined ? log.error(message) : log.error({ err: error }, message));
    const engine = createLifecycle({
      store,
      publish,
      cancellations,
      leaseMs: config.worker.leaseMs,
      now: Date.now,
      ...(metrics ? { observer: metrics.engine } : {}),
    });
    const executions: Omit<ExecutionServices, "db"> = { engine };
    // One registry: what a saved definition may use is what the worker can run.
    const registry = createActionRegistry([...builtInActions, ...actions]);
    if (config.worker.enabled) {
      const runner = createRunner({
        store,
        actions: registry,
        services: { fetch, now: Date.now },
        sendEmail: createEmailSender(db, config.email.smtpUrl, config.email.from),
        publish,
        leaseMs: config.worker.leaseMs,
        cancellations,
        maxWorkerLosses: config.worker.maxWorkerLosses,
        maxPayloadBytes: config.worker.maxPayloadBytes,
        ...(metrics ? { observer: metrics.engine } : {}),
        // A run interrupted by an outage is its consequence: the pools report the outage once.
        onError: (message, error) => health.reachable && onError(message, error),
      });
      worker = await startWorker({
        connectionString: database.url,
        concurrency: config.worker.concurrency,
        sweepIntervalMs: config.worker.sweepIntervalMs,
        reservationMs: config.worker.leaseMs,
        runner,
        store,
        db,
        executions,
        health,
        changeRetentionMs: config.listChangesRetentionMs,
        bulkOperations: config.bulkOperations,
        retention: config.retention,
        schedulePollMs: config.worker.schedulePollMs,
        now: Date.now,
        onError,
        ...(metrics ? { onJobStart: metrics.jobStarted, onPool: metrics.trackPool } : {}),
      });
    }
    // Saving a workflow checks it against the same action types the runner is given above.
    const workflows = { actions: registry };
    const sql = createQuery(readPool, watchSql);
    listChanges = createListFeeds({
      query: createSqlRunner(listPool, watchSql).query,
      watch: (tenantId, notify) => watchTenant(bus, tenantId, notify),
      retentionMs: config.listChangesRetentionMs,
      onError: (message, error) => health.reachable && log.error({ err: error }, message),
    });
    // Bulk operations are recorded on the engine's pool: their targets are rows the engine owns.
    const bulkOperations = { sql: engineSql, queue: bulkOperationJobSql, leaseMs: config.worker.leaseMs };
    const services: ContextServices = {
      scoped,
      sql,
      executions,
      workflows,
      bulkOperations,
      events: bus,
      listChanges,
      fanout,
    };
    // Whether credentials still hold (a key may be revoked): only a definite "no" ends a socket or
    // a stream, a database hiccup does not.
    const stillValid = (authorization: unknown) =>
      auth.authenticate(authorization).then(
        () => true,
        (error: unknown) => !(error instanceof UnauthenticatedError),
      );
    // Over WebSocket the principal comes from connection_init (checked once per socket).
    type ServerContext = { req?: http.IncomingMessage; connectionAuth?: Principal };
    if (config.redisUrl && config.rateLimit.mutations > 0) {
      redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
      // ioredis reconnects by itself; without an 'error' listener it would print every attempt.
      createRedisOutages("rate limits", log).watch(redis);
    }
    const limiter = createMutationLimiter(config.rateLimit, redis);
    const yoga = createGraphQLServer<ServerContext>({
      schema,
      context: async (initial) => {
        const address = initial.req?.socket.remoteAddress ?? null;
        if (initial.connectionAuth) return createContext(services, initial.connectionAuth, address);
        const authorization = initial.request.headers.get("authorization") ?? undefined;
        const principal = await auth.authenticate(authorization);
        const recheck =
          principal.kind === "api-key"
            ? { intervalMs: config.auth.recheckMs, stillValid: () => stillValid(authorization) }
            : null;
        return createContext(services, principal, address, recheck);
      },
      plugins: [
        ...(limiter ? [rateLimitPlugin(limiter)] : []),
        // Results depend on the context only through the tenant (every read is scoped to it) and
        // the role (authScopes); the viewer's name, key and expiry never reach a resolver.
        sharedSubscriptionsPlugin<Context>({
          fanout,
          scopeOf: (ctx) => `${ctx.tenant.id}:${ctx.viewer.role}`,
          ...(metrics ? { delivered: () => metrics.delivered() } : {}),
        }),
        requestObserverPlugin(metrics),
      ],
      ...(config.preshapedReads ? { preshaped: preshapedData } : {}),
      graphiql: config.graphiql,
      introspection: config.introspection,
      limits: config.limits,
      logError: (message, error) => log.error({ err: error }, message),
      databaseUnavailable: (error) => !health.reachable || isConnectionError(error),
      readiness: {
        ping: () => enginePool.query("SELECT 1"),
        pendingMigrations: () => pendingMigrationCount(enginePool),
        get worker() {
          return worker;
        },
      },
    });
    // Plain HTTP routes first (the log download, the dashboard's files), then GraphQL.
    const downloads = createLogDownload({
      authenticate: (authorization) => auth.authenticate(authorization),
      query: sql,
      decodeId: decodeIdOf,
      encodeId: encodeGlobalId,
      logError: (message, error) => log.error({ err: error }, message),
    });
    const metricsRoute = createMetricsRoute({
      token: config.metricsToken,
      scrape: () => (scrape ? scrape() : Promise.reject(new Error("metrics are off"))),
      logError: (message, error) => log.error({ err: error }, message),
    });
    let metricsServer: http.Server | null = null;
    const observe = observeRequests(log, metrics);
    const dashboard = createDashboardStatic(dashboardDir);
    const server = http.createServer((req, res) => {
      observe(req, res);
      if (!downloads(req, res) && !metricsRoute(req, res) && !dashboard(req, res)) void yoga(req, res);
    });
    // graphql-ws on the same port and path as HTTP; SSE comes with yoga.
    const ws = attachGraphQLWs(server, yoga, {
      path: GRAPHQL_PATH,
      maxPayloadBytes: config.limits.websocket.maxMessageBytes,
      maxSubscriptionsPerSocket: config.limits.websocket.maxOperations,
      connectionInitTimeoutMs: config.limits.websocket.initTimeoutMs,
      authenticate: (params) => auth.authenticate(credentialOf(params)),
      isRefusal: (error) => error instanceof UnauthenticatedError,
      recheck: { intervalMs: config.auth.recheckMs, stillValid: (params) => stillValid(credentialOf(params)) },
      logError: (message, error) => log.error({ err: error }, message),
    });
    metrics?.trackSockets(() => ws.clientCount);
    return {
      db,
      events: bus,
      metricsRegistry: metrics?.registry ?? null,
      start: (port = config.port, host = config.host) =>
        new Promise((resolve, reject) => {
          // Refused here, not in createApp: a worker-only process serves nobody and needs no auth.
          if (auth.refusal) throw new ConfigError([auth.refusal]);
          if (auth.warning) log.warn(`\n${"!".repeat(78)}\n${auth.warning}\n${"!".repeat(78)}`);
          if (!config.worker.enabled && !config.redisUrl) log.warn(API_ONLY_WITHOUT_REDIS);
          server.once("error", reject);
          server.listen(port, host, () => {
            const address = server.address() as AddressInfo;
            resolve({ port: address.port, url: `http://${host}:${address.port}${GRAPHQL_PATH}` });
          });
        }),
      serveMetrics: (port, host = config.host) =>
        new Promise((resolve, reject) => {
          const only = http.createServer((req, res) => {
            if (metricsRoute(req, res)) return;
            res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
            const message = `Only ${METRICS_PATH} is served here (a worker's metrics).`;
            res.end(JSON.stringify({ errors: [{ message, extensions: { code: "NOT_FOUND" } }] }));
          });
          only.once("error", reject);
          only.listen(port, host, () => {
            metricsServer = only;
            const address = only.address() as AddressInfo;
            resolve({ port: address.port, url: `http://${host}:${address.port}${METRICS_PATH}` });
          });
        }),
      async stop() {
        if (metricsServer) {
          // A scraper keeps its connection open between scrapes: closed now, not at its idle timeout.
          const closing = new Promise((resolve) => metricsServer?.close(resolve));
          metricsServer.closeAllConnections();
          await closing;
        }
        // Sockets first, then the worker (no more events), then the bus: ending its subscriptions
        // ends open SSE responses, so the HTTP server can finish closing.
        await ws.close();
        const closed = server.listening ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
        server.closeIdleConnections();
        await worker?.stop();
        listChanges?.close();
        await bus.close();
        fanout?.close();
        redis?.disconnect();
        const cut = setTimeout(() => server.closeAllConnections(), 2_000);
        await closed;
        clearTimeout(cut);
        await db.$disconnect();
        await enginePool.end();
        await readPool.end();
        await listPool.end();
        await database.stop();
      },
    };
  } catch (err) {
    await worker?.stop();
    listChanges?.close();
    await events?.close();
    fanout?.close();
    redis?.disconnect();
    await db.$disconnect();
    await enginePool.end();
    await readPool.end();
    await listPool.end();
    await database.stop();
    throw err;
  }
}

/** The example dashboard's build output (`npm run dashboard:build`), relative to this file. */
const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL("../examples/dashboard/dist", import.meta.url));

export const API_ONLY_WITHOUT_REDIS =
  "WARNING: RUN_WORKER=false and no REDIS_URL: this API-only process never sees events of runs executed by a " +
  "worker process, so its subscriptions only learn of them by re-reading the database every " +
  "SUBSCRIPTION_IDLE_RECHECK_MS. Set REDIS_URL (the same one as the workers') for live updates.";

/** connection_init's `{ authorization: "Bearer …" }` (either capitalisation). */
function credentialOf(params: Readonly<Record<string, unknown>> | undefined): unknown {
  return params?.["authorization"] ?? params?.["Authorization"];
}
