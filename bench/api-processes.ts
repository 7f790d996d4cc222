// API servers in processes of their own, sharing one port through node:cluster, as `npm start`
// with WEB_CONCURRENCY runs them (the HTTP and the subscription benchmarks compare 1 and 2).
import { fork } from "node:child_process";
import { freePort } from "../test/support/process.ts";

/**
 * Starts `processes` API servers on one port (bench/clients/api-processes.ts; with `redisUrl`,
 * events reach all of them), runs `fn` with their GraphQL URL, stops them whatever happens.
 */
export async function withApiProcesses<T>(
  processes: number,
  databaseUrl: string,
  fn: (url: string) => Promise<T>,
  redisUrl?: string,
): Promise<T> {
  const port = await freePort();
  const child = fork(new URL("./clients/api-processes.ts", import.meta.url), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.on("message", (m: { type?: string; message?: string }) => {
        if (m.type === "ready") resolve();
        if (m.type === "error") reject(new Error(m.message));
      });
      child.once("exit", (code) => reject(new Error(`API processes exited (${code}) before they were ready`)));
      child.send({ processes, port, databaseUrl, ...(redisUrl ? { redisUrl } : {}) });
    });
    return await fn(`http://127.0.0.1:${port}/graphql`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 12_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
