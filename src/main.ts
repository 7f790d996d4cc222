// The only module that touches process: environment in, signals to stop.
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { EmbeddedPostgresError } from "./db/embedded.ts";

try {
  const config = loadConfig(process.env);
  const started = Date.now();
  const app = await createApp(config);
  const { url } = await app.start();
  console.info(
    `Stepstream ready at ${url} in ${Date.now() - started} ms (${config.databaseUrl ? "DATABASE_URL" : `embedded PostgreSQL in ${config.embeddedPostgres.dataDir}`})`,
  );
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
