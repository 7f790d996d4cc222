// (c′) Engine scale-out: the API in this process (no worker), the same 200 × 10-step no-op runs
// executed by 1, 2 and 4 worker processes (`src/main.ts --worker`) on one database; how
// throughput grows and what stops it (CPU of the workers and of PostgreSQL, lock waits, connections).
import { readFileSync } from "node:fs";
import { completedSteps, createBenchWorkflow, startBenchRun } from "./api.ts";
import { NOOP_WORKFLOW } from "./engine.ts";
import { type BenchApp, type BenchEnv, waitFor, withBenchApp } from "./harness.ts";
import { type BenchResult, fmt, fmtInt, table } from "./report.ts";
import { postgresCpuMs } from "./sql-profile.ts";
import { startWorkerProcess } from "./worker-process.ts";

const RUNS = 200;
const WORKERS = [1, 2, 4] as const;
const CONCURRENCY = 10;

type ScaleResult = {
  workers: number;
  stepsPerSecond: number;
  wallMs: number;
  steps: number;
  workerCpuMsPerStep: number;
  pgCpuMsPerStep: number;
  apiCpuMsPerStep: number;
  lockWaitShare: number;
  maxConnections: number;
  maxActive: number;
};

/** CPU ms (user + system) a process has used, from /proc; NaN once it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function runWith(bench: BenchApp, env: BenchEnv, workers: number): Promise<ScaleResult> {
  const children = await Promise.all(
    Array.from({ length: workers }, () =>
      startWorkerProcess(bench.databaseUrl, { WORKER_CONCURRENCY: String(CONCURRENCY), DATABASE_POOL_SIZE: String(CONCURRENCY) }),
    ),
  );
  try {
    const workflow = await createBenchWorkflow(bench, `bench-scale-${workers}`, NOOP_WORKFLOW);
    const cpu0 = children.map((c) => processCpuMs(c.pid as number));
    const pg0 = postgresCpuMs();
    const api0 = process.cpuUsage();
    const samples = { lockWaits: 0, active: 0, n: 0, maxConnections: 0, maxActive: 0 };
    const sampler = setInterval(() => {
      void bench.pg
        .query<{ locks: number; active: number; connections: number }>(
          `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS locks,
                  count(*) FILTER (WHERE state = 'active')::int AS active, count(*)::int AS connections
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        )
        .then(({ rows: [row] }) => {
          if (!row) return;
          samples.n += 1;
          samples.lockWaits += row.locks;
          samples.active += row.active;
          samples.maxConnections = Math.max(samples.maxConnections, row.connections);
          samples.maxActive = Math.max(samples.maxActive, row.active);
        }, () => {});
    }, 100);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: RUNS }, (_, n) => startBenchRun(bench, workflow.globalId, { n })));
    await waitFor(
      "every run to finish",
      async () => {
        const { rows } = await bench.pg.query<{ done: number }>(
          `SELECT count(*)::int AS done FROM "Execution" WHERE "workflowId" = $1 AND status IN ('COMPLETED','FAILED','CANCELLED','TIMED_OUT')`,
          [workflow.id],
        );
        return (rows[0]?.done ?? 0) >= RUNS ? true : undefined;
      },
      { everyMs: 20, timeoutMs: 180_000, signal: env.signal },
    );
    clearInterval(sampler);
    const api = process.cpuUsage(api0);
    const pgMs = postgresCpuMs() - pg0;
    const workerMs = children.reduce((sum, c, i) => sum + (processCpuMs(c.pid as number) - (cpu0[i] ?? 0)), 0);
    const { last, steps } = await completedSteps(bench, workflow.id);
    const wallMs = (last?.getTime() ?? Date.now()) - t0;
    return {
      workers,
      stepsPerSecond: (steps / wallMs) * 1000,
      wallMs,
      steps,
      workerCpuMsPerStep: workerMs / steps,
      pgCpuMsPerStep: pgMs / steps,
      apiCpuMsPerStep: (api.user + api.system) / 1000 / steps,
      lockWaitShare: samples.active ? samples.lockWaits / samples.active : 0,
      maxConnections: samples.maxConnections,
      maxActive: samples.maxActive,
    };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once("exit", resolve)))));
  }
}

export async function engineScaleBenchmark(env: BenchEnv): Promise<BenchResult> {
  const results = await withBenchApp(env, { RUN_WORKER: "false" }, async (bench) => {
    const out: ScaleResult[] = [];
    for (const workers of WORKERS) {
      if (env.signal.aborted) break;
      console.log(`  engine-scale: ${workers} worker process(es) ...`);
      const r = await runWith(bench, env, workers);
      console.log(`    ${fmtInt(r.stepsPerSecond)} steps/s`);
      out.push(r);
    }
    return out;
  });
  const one = results[0]?.stepsPerSecond ?? 1;
  const markdown = [
    `The API in the benchmark process (no worker), ${RUNS} runs × 10 no-op steps started at once over HTTP, executed by`,
    `1, 2 and 4 worker processes (\`npm run worker\`, concurrency ${CONCURRENCY} each) on one database, one after the other.`,
    "_lock waits_: of the sampled active backends (every 100 ms), the share waiting on a lock.",
    "",
    table(
      ["worker processes", "steps/s", "× one worker", "wall ms", "steps", "worker CPU ms/step", "PG CPU ms/step", "API CPU ms/step", "lock waits", "connections (max) / active (max)"],
      results.map((r) => [
        String(r.workers),
        `**${fmtInt(r.stepsPerSecond)}**`,
        fmt(r.stepsPerSecond / one, 2),
        fmtInt(r.wallMs),
        fmtInt(r.steps),
        fmt(r.workerCpuMsPerStep, 2),
        fmt(r.pgCpuMsPerStep, 2),
        fmt(r.apiCpuMsPerStep, 2),
        `${Math.round(r.lockWaitShare * 100)}%`,
        `${r.maxConnections} / ${r.maxActive}`,
      ]),
    ),
  ].join("\n");
  return {
    id: "engine-scale",
    title: "(c′) Engine scale-out",
    markdown,
    console: results.map((r) => `${r.workers} worker(s): ${fmtInt(r.stepsPerSecond)} steps/s (${fmt(r.stepsPerSecond / one, 2)}× one)`),
  };
}
