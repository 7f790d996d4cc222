// The only module that touches process: environment in, signals to stop.
// `tsx src/main.ts` serves GraphQL (with the worker inside, unless RUN_WORKER=false);
// `tsx src/main.ts --worker` (npm run worker) runs only the engine's worker, for scaling out.
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { EmbeddedPostgresError } from "./db/embedded.ts";

try {
  const workerOnly = process.argv.includes("--worker");
  const env = workerOnly ? { ...process.env, RUN_WORKER: "true" } : process.env;
  const config = loadConfig(env);
  if (workerOnly && !config.databaseUrl) {
    throw new ConfigError(["DATABASE_URL: a separate worker needs the server's database (the embedded one is private to one process)"]);
  }
  const started = Date.now();
  const app = await createApp(config);
  if (workerOnly) {
    console.info(`Stepstream worker ready in ${Date.now() - started} ms (concurrency ${config.worker.concurrency})`);
  } else {
    const { url } = await app.start();
    console.info(
      `Stepstream ready at ${url} in ${Date.now() - started} ms (${config.databaseUrl ? "DATABASE_URL" : `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}`}${config.worker.enabled ? ", with worker" : ""})`,
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.info(`${signal}: stopping`);
    await app.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (err) {
  // Problems the operator can fix are printed as they are; anything else with its stack.
  console.error(err instanceof ConfigError || err instanceof EmbeddedPostgresError ? err.message : err);
  process.exit(1);
}
