// The only module that touches process: environment in, signals to stop.
// `tsx src/main.ts` serves GraphQL (with the worker inside, unless RUN_WORKER=false);
// `tsx src/main.ts --worker` (npm run worker) runs only the engine's worker, for scaling out.
// With WEB_CONCURRENCY > 1 this process becomes a supervisor: it forks that many API-only
// processes sharing the port (node:cluster), restarts one that dies, and runs the worker itself.
import cluster from "node:cluster";
import { type App, createApp } from "./app.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { EmbeddedPostgresError } from "./db/embedded.ts";
import { serveClusterScrapes } from "./telemetry/cluster-metrics.ts";
import { createLogger, type Logger } from "./telemetry/logger.ts";

type Listening = { type: "stepstream:listening"; url: string };

function describe(config: Config): string {
  const database = config.databaseUrl ? "DATABASE_URL" : `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}`;
  return `${database}${config.worker.enabled ? ", with worker" : ""}`;
}

function onSignals(log: Logger, stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const once = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    void stop(signal).then(() => process.exit(0));
  };
  process.on("SIGINT", () => once("SIGINT"));
  process.on("SIGTERM", () => once("SIGTERM"));
}

/**
 * A start that failed after createApp: stop what it started (the embedded database too), say why
 * in one line. `setting` is the port's (PORT, or a worker's METRICS_PORT).
 */
async function failedStart(app: App, config: Config, err: unknown, setting: "PORT" | "METRICS_PORT" = "PORT"): Promise<never> {
  await app.stop().catch(() => {});
  if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
    const port = setting === "PORT" ? config.port : config.metricsPort;
    throw new StartError(`Port ${port} on ${config.host} is already in use. Stop whatever holds it, or set ${setting} to a free port.`);
  }
  throw err;
}

class StartError extends Error {}

async function serve(log: Logger, config: Config, workerOnly: boolean, started: number): Promise<void> {
  const app = await createApp(config, { log });
  if (workerOnly) {
    // It serves no GraphQL; with METRICS_PORT it serves its /metrics.
    const port = config.metricsPort;
    const metrics = port === undefined ? null : await app.serveMetrics(port).catch((err: unknown) => failedStart(app, config, err, "METRICS_PORT"));
    const serving = metrics ? `, metrics at ${metrics.url}` : "";
    log.info(`Stepstream worker ready in ${Date.now() - started} ms (concurrency ${config.worker.concurrency}${serving})`);
  } else {
    const { url } = await app.start().catch((err: unknown) => failedStart(app, config, err));
    if (cluster.isWorker) process.send?.({ type: "stepstream:listening", url } satisfies Listening);
    else log.info(`Stepstream ready at ${url} in ${Date.now() - started} ms (${describe(config)})`);
  }
  onSignals(log, () => app.stop());
}

/** The WEB_CONCURRENCY supervisor: N API processes on one port, and the worker (if enabled) here. */
async function supervise(log: Logger, config: Config, started: number): Promise<void> {
  const app = config.worker.enabled ? await createApp(config, { log }) : null;
  let stopping = false;
  let listening = 0;
  const children = new Set<ReturnType<typeof cluster.fork>>();
  const stopAll = async (exitCode: number) => {
    stopping = true;
    const exited = [...children].map((child) => new Promise((resolve) => child.once("exit", resolve)));
    for (const child of children) child.process.kill("SIGTERM");
    // A child that does not stop in time is killed: nothing outlives its supervisor.
    const force = setTimeout(() => children.forEach((child) => child.process.kill("SIGKILL")), 15_000);
    await Promise.all(exited);
    clearTimeout(force);
    await app?.stop();
    if (exitCode !== 0) process.exit(exitCode);
  };
  const fork = () => {
    const child = cluster.fork({ RUN_WORKER: "false" });
    let ready = false;
    children.add(child);
    child.on("message", (message: Listening) => {
      if (message?.type !== "stepstream:listening" || ready) return;
      ready = true;
      listening += 1;
      if (listening === config.webConcurrency) {
        const mode = `${config.webConcurrency} API processes, ${describe({ ...config, worker: { ...config.worker, enabled: false } })}`;
        log.info(`Stepstream ready at ${message.url} in ${Date.now() - started} ms (${mode}${app ? ", worker in the supervisor" : ""})`);
      }
    });
    child.once("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      if (!ready) {
        // It printed its own reason (a taken port, a bad setting): stop everything, leave nothing.
        log.error(`An API process failed to start (exit ${code ?? signal}); stopping`);
        void stopAll(1);
        return;
      }
      log.warn(`API process ${child.process.pid} exited (${code ?? signal}); starting another`);
      setTimeout(() => stopping || fork(), 1_000).unref();
    });
  };
  // A scrape reaches one API process: it asks here for everyone's metrics, the worker's included.
  serveClusterScrapes(app?.metricsRegistry ?? null);
  for (let i = 0; i < config.webConcurrency; i += 1) fork();
  onSignals(log, () => stopAll(0));
}

let log: Logger | undefined;
try {
  const started = Date.now();
  const workerOnly = process.argv.includes("--worker");
  const env = workerOnly ? { ...process.env, RUN_WORKER: "true", WEB_CONCURRENCY: "1" } : process.env;
  const config = loadConfig(env);
  log = createLogger(config.log);
  if (config.webConcurrency > 1 && cluster.isPrimary) await supervise(log, config, started);
  else await serve(log, config, workerOnly, started);
} catch (err) {
  // Problems the operator can fix are printed as they are; anything else with its stack. Before
  // the configuration is read there is no logger: a bad setting goes to stderr as plain text.
  const known = err instanceof ConfigError || err instanceof EmbeddedPostgresError || err instanceof StartError;
  if (!log) console.error(known ? (err as Error).message : err);
  else if (known) log.fatal((err as Error).message);
  else log.fatal({ err }, "Stepstream failed to start");
  process.exit(1);
}
