// A worker in a process of its own (`src/main.ts --worker`) on the benchmark's database, as the
// README's production setup runs it; resolves once it says it is ready.
import { type ChildProcess, spawn } from "node:child_process";

export async function startWorkerProcess(databaseUrl: string, settings: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--worker"], {
    env: { ...process.env, NODE_ENV: "production", DATABASE_URL: databaseUrl, AUTH_DEV_MODE: "true", ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/worker ready/.test(out)) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before it was ready: ${out.slice(-500)}`)));
  });
  return child;
}
