// Child process: `processes` API-only Stepstream servers sharing one port through node:cluster
// (the primary only forks and reports; each worker is createApp as `npm start` builds it, with
// RUN_WORKER=false). Sends { type: "ready" } once every worker listens; SIGTERM stops them all.
import cluster from "node:cluster";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

type Request = { processes: number; port: number; databaseUrl: string; redisUrl?: string };

const quiet = createLogger({ level: "error", format: "json" });

if (cluster.isPrimary) {
  process.once("message", (raw) => {
    const req = raw as Request;
    let listening = 0;
    for (let i = 0; i < req.processes; i += 1) {
      const worker = cluster.fork({ BENCH_REQUEST: JSON.stringify(req) });
      worker.on("message", (m: { type?: string }) => {
        if (m.type === "listening" && ++listening === req.processes) process.send?.({ type: "ready" });
      });
      worker.on("exit", (code) => {
        if (!stopping) process.send?.({ type: "error", message: `API process exited (${code}) during the benchmark` });
      });
    }
  });
  let stopping = false;
  process.on("SIGTERM", () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    let left = workers.length;
    if (left === 0) process.exit(0);
    cluster.on("exit", () => --left === 0 && process.exit(0));
    for (const worker of workers) worker.kill("SIGTERM");
    // A worker that does not stop in time is killed: nothing may outlive the benchmark.
    setTimeout(() => workers.forEach((w) => w.process.kill("SIGKILL")), 8_000).unref();
  });
} else {
  const req = JSON.parse(process.env.BENCH_REQUEST as string) as Request;
  const app = await createApp(
    loadConfig({
      NODE_ENV: "production",
      AUTH_DEV_MODE: "true",
      RATE_LIMIT_MUTATIONS: "0",
      DATABASE_URL: req.databaseUrl,
      RUN_WORKER: "false",
      ...(req.redisUrl ? { REDIS_URL: req.redisUrl } : {}),
    }),
    { log: quiet },
  );
  await app.start(req.port, "127.0.0.1");
  process.send?.({ type: "listening" });
  process.on("SIGTERM", () => void app.stop().then(() => process.exit(0)));
}
