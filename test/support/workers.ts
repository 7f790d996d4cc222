// Worker child processes (`src/main.ts --worker`, as `npm run worker` runs them) over a test
// database: started, killed with SIGKILL, replaced by new processes, and all stopped by stop().
// Only the settings a test passes are added to the environment: the engine's lease and sweep
// defaults stay what they are unless a test says otherwise.
import { type ServerProcess, startServerProcess } from "./process.ts";

export type WorkerProcess = {
  /** The test's name for the worker this process plays, e.g. "A"; a replacement keeps it. */
  name: string;
  process: ServerProcess;
  /** Date.now() when the process was spawned, and when it printed "worker ready". */
  spawnedAt: number;
  readyAt: number;
  alive(): boolean;
  /**
   * SIGKILL, then Date.now() once the exit is observed: the process can write nothing after
   * that moment (a transaction it had started either committed before or is rolled back).
   */
  kill(): Promise<number>;
};

export type WorkerFleet = {
  /** Spawns a worker process and waits until it is ready. */
  start(name: string): Promise<WorkerProcess>;
  /** Every process started, in order, killed ones included. */
  readonly started: readonly WorkerProcess[];
  /** SIGTERM (SIGKILL after `graceMs`) to every process still running; resolves once all exited. */
  stop(graceMs?: number): Promise<void>;
};

const alive = (p: ServerProcess) => p.child.exitCode === null && p.child.signalCode === null;

export function createWorkerFleet(databaseUrl: string, env: Record<string, string> = {}): WorkerFleet {
  const started: WorkerProcess[] = [];
  const processes: ServerProcess[] = [];
  return {
    started,
    async start(name) {
      const spawnedAt = Date.now();
      const process = startServerProcess({ NODE_ENV: "test", DATABASE_URL: databaseUrl, ...env }, "src/main.ts", [
        "--worker",
      ]);
      // Tracked before it is ready, so that stop() ends it even if it never gets there.
      processes.push(process);
      await process.waitFor(/worker ready/, 60_000);
      const worker: WorkerProcess = {
        name,
        process,
        spawnedAt,
        readyAt: Date.now(),
        alive: () => alive(process),
        async kill() {
          process.child.kill("SIGKILL");
          await process.exited;
          return Date.now();
        },
      };
      started.push(worker);
      return worker;
    },
    async stop(graceMs = 10_000) {
      await Promise.all(
        processes.map(async (p) => {
          if (!alive(p)) return p.exited;
          p.child.kill("SIGTERM");
          const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
          await p.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
