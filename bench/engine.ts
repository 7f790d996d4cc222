// (c) Engine throughput: 200 runs of a 10-step no-op workflow (transform steps in 3 batches)
// started at once through the startExecution mutation; steps completed per second from the first
// start to the last completion, SQL statements per step by kind, and where the time went.
import { completedSteps, createBenchWorkflow } from "./api.ts";
import { runChild } from "./child.ts";
import type { StartRunsDone, StartRunsRequest } from "./clients/start-runs.ts";
import { type BenchApp, type BenchEnv, freeConnections, waitFor, withBenchApp } from "./harness.ts";
import { type BenchResult, elapsedMs, fmt, fmtInt, summarize, table } from "./report.ts";
import type { CpuProfileSummary } from "./cpu-profile.ts";
import { profileLines, startMeasurement } from "./measure.ts";
import { measurePgLimit, type PgLimit } from "./pg-limit.ts";
import { formatCpu, formatKinds } from "./sql-profile.ts";

const RUNS = 200;
const STEPS_PER_RUN = 10;
const TARGET_STEPS_PER_SECOND = 1500;
/** The engine's steps/s as a share of the bare-pg one-commit-per-transition limit measured in the same run. */
const TARGET_RATIO = 0.9;
const LIMIT_CLIENTS = 10;
const LIMIT_MS = 5_000;
const RUN_TIMEOUT_MS = 180_000;

/**
 * Worker concurrency × app connection pool; each variant gets its own database and app.
 * graphile-worker opens about one connection per concurrency slot besides the app pool, so
 * 50 / 25 already holds ~77 of a default max_connections of 100; a variant that would not fit
 * in what the server has free is skipped.
 */
const VARIANTS: readonly Variant[] = [
  { concurrency: 10, pool: 10, countSql: true },
  { concurrency: 50, pool: 25, countSql: true },
  // The same as the first without onQuery: what counting statements costs the engine.
  { concurrency: 10, pool: 10, countSql: false },
];

type Variant = { concurrency: number; pool: number; countSql: boolean };
const label = (v: Variant) => `${v.concurrency} / ${v.pool}${v.countSql ? "" : " (SQL not counted)"}`;

const noop = (id: string, dependsOn: string[] = []) => ({ id, type: "transform", config: { output: "{{input.n}}" }, dependsOn });

/** a1..a3 → b1..b4 (after a1) → c1..c3 (after b1): 10 steps, 3 batches. */
export const NOOP_WORKFLOW = {
  steps: [
    ...["a1", "a2", "a3"].map((id) => noop(id)),
    ...["b1", "b2", "b3", "b4"].map((id) => noop(id, ["a1"])),
    ...["c1", "c2", "c3"].map((id) => noop(id, ["b1"])),
  ],
};

type VariantResult = Variant & {
  stepsPerSecond: number;
  wallMs: number;
  steps: number;
  failedRuns: number;
  startMs: ReturnType<typeof summarize>;
  runMs: ReturnType<typeof summarize>;
  statementsPerStep: number;
  commitsPerStep: number;
  dbMsPerStep: number;
  dbInFlight: number;
  kinds: string;
  appCpuMsPerStep: number;
  pgCpuMsPerStep: number;
  cpu: string;
  profile: CpuProfileSummary | null;
  errors: string[];
};

async function runVariant(env: BenchEnv, variant: Variant): Promise<VariantResult> {
  const settings = { WORKER_CONCURRENCY: String(variant.concurrency), DATABASE_POOL_SIZE: String(variant.pool) };
  const run = async (bench: BenchApp): Promise<VariantResult> => {
    const workflow = await createBenchWorkflow(bench, "bench-noop-10", NOOP_WORKFLOW);
    const endMeasurement = startMeasurement(bench, env, `engine-c${variant.concurrency}-p${variant.pool}`);
    const t0Wall = Date.now();
    const t0 = process.hrtime.bigint();
    // The runs are started from a child process: the app's CPU figures are then the app's alone.
    const started = await runChild<StartRunsDone>(
      new URL("./clients/start-runs.ts", import.meta.url),
      { url: bench.url, workflowId: workflow.globalId, runs: RUNS } satisfies StartRunsRequest,
      { timeoutMs: RUN_TIMEOUT_MS, signal: env.signal },
    );
    if (started.failures.length > 0) throw new Error(`startExecution failed: ${started.failures[0]}`);
    const startLatencies = started.latenciesMs;
    const finished = await waitFor(
      "every run to finish",
      async () => {
        const { rows } = await bench.pg.query<{ done: number; failed: number }>(
          `SELECT count(*) FILTER (WHERE status IN ('COMPLETED','FAILED','CANCELLED','TIMED_OUT'))::int AS done,
                  count(*) FILTER (WHERE status <> 'COMPLETED')::int AS failed
           FROM "Execution" WHERE "workflowId" = $1`,
          [workflow.id],
        );
        const row = rows[0];
        return row && row.done >= RUNS ? row : undefined;
      },
      { everyMs: 20, timeoutMs: RUN_TIMEOUT_MS, signal: env.signal },
    );
    const hrWallMs = elapsedMs(t0);
    const { sql, cpu, profile } = await endMeasurement();
    const { last, steps } = await completedSteps(bench, workflow.id);
    const runs = await bench.pg.query<{ ms: number }>(
      `SELECT extract(epoch FROM "completedAt" - "createdAt") * 1000 AS ms FROM "Execution" WHERE "workflowId" = $1`,
      [workflow.id],
    );
    // completedAt is written by the engine (this process's clock), so it pins the end without polling lag.
    const wallMs = last ? last.getTime() - t0Wall : hrWallMs;
    return {
      ...variant,
      stepsPerSecond: (steps / wallMs) * 1000,
      wallMs,
      steps,
      failedRuns: finished.failed,
      startMs: summarize(startLatencies),
      runMs: summarize(runs.rows.map((r) => Number(r.ms))),
      statementsPerStep: sql.count / steps,
      // Each engine statement commits on its own (cancel's run inside one transaction, none here).
      commitsPerStep:
        Object.entries(sql.byKind)
          .filter(([kind]) => kind === "COMMIT" || (kind.startsWith("engine:") && kind !== "engine:cancel"))
          .reduce((n, [, count]) => n + count, 0) / steps,
      dbMsPerStep: sql.dbMs / steps,
      dbInFlight: sql.dbMs / hrWallMs,
      kinds: formatKinds({ BEGIN: (sql.byKind.COMMIT ?? 0) + (sql.byKind.ROLLBACK ?? 0), ...sql.byKind }, steps, "step"),
      appCpuMsPerStep: cpu.nodeMs / steps,
      pgCpuMsPerStep: cpu.postgresMs / steps,
      cpu: formatCpu(cpu),
      profile,
      errors: bench.errors.slice(0, 5),
    };
  };
  return withBenchApp(env, settings, run, { countSql: variant.countSql });
}

/** The bare-pg limit on the same server, in a database of its own (no app, no worker). */
async function pgLimit(env: BenchEnv): Promise<PgLimit> {
  return withBenchApp(env, { RUN_WORKER: "false" }, (bench) =>
    measurePgLimit(bench.databaseUrl, { clients: LIMIT_CLIENTS, durationMs: LIMIT_MS, signal: env.signal }),
  );
}

export async function engineBenchmark(env: BenchEnv): Promise<BenchResult> {
  const results: VariantResult[] = [];
  const skipped: string[] = [];
  // Measured before and after the engine runs, so a machine that got busier or quieter in between
  // shows as two different figures instead of skewing the ratio unseen.
  console.log(`  engine: bare-pg limit, ${LIMIT_CLIENTS} clients ...`);
  const limits: PgLimit[] = [await pgLimit(env)];
  console.log(`    ${fmtInt(limits[0]?.transitionsPerSecond ?? 0)} transitions/s`);
  for (const variant of VARIANTS) {
    if (env.signal.aborted) break;
    const needed = variant.concurrency + variant.pool + 5;
    const free = await freeConnections(env.adminUrl);
    if (needed > free) {
      skipped.push(`${label(variant)}: skipped, needs ~${needed} connections and the server had ${free} free`);
      console.log(`  engine: ${skipped.at(-1)}`);
      continue;
    }
    console.log(`  engine: worker concurrency / pool ${label(variant)} ...`);
    const r = await runVariant(env, variant);
    console.log(`    ${fmtInt(r.stepsPerSecond)} steps/s, wall ${fmtInt(r.wallMs)} ms`);
    results.push(r);
  }
  console.log(`  engine: bare-pg limit again ...`);
  limits.push(await pgLimit(env));
  console.log(`    ${fmtInt(limits[1]?.transitionsPerSecond ?? 0)} transitions/s`);
  const limit = limits.reduce((n, l) => n + l.transitionsPerSecond, 0) / limits.length;
  const counted = results.filter((r) => r.countSql);
  const best = Math.max(...results.map((r) => r.stepsPerSecond));
  const ratio = best / limit;
  const rows = results.map((r) => [
    label(r),
    `**${fmtInt(r.stepsPerSecond)}**`,
    fmtInt(r.wallMs),
    `${fmtInt(r.steps)}${r.failedRuns ? ` (${r.failedRuns} runs not COMPLETED)` : ""}`,
    `${fmtInt(r.runMs.p50)} / ${fmtInt(r.runMs.p99)}`,
    `${fmtInt(r.startMs.p50)} / ${fmtInt(r.startMs.p99)}`,
    r.countSql ? fmt(r.statementsPerStep) : "–",
    r.countSql ? fmt(r.commitsPerStep, 2) : "–",
    fmt(r.stepsPerSecond / limit, 2),
    fmt(r.appCpuMsPerStep, 2),
    fmt(r.pgCpuMsPerStep, 2),
    r.countSql ? fmt(r.dbMsPerStep, 2) : "–",
  ]);
  const markdown = [
    `${RUNS} runs × ${STEPS_PER_RUN} no-op \`transform\` steps in 3 batches (3, 4, 3 steps), all started at once`,
    "through the `startExecution` mutation over HTTP; throughput counts COMPLETED steps from the first",
    `start to the last \`completedAt\`. The worker runs inside the server process; the 200 start requests come from`,
    "a child process (its CPU is not the app's).",
    "",
    `Baseline in the same run, on the same PostgreSQL server: bare \`pg\`, ${LIMIT_CLIENTS} clients, each looping`,
    "BEGIN; UPDATE one step row; INSERT one event; COMMIT for 5 s (one commit per transition), measured before and",
    `after the engine: **${limits.map((l) => fmtInt(l.transitionsPerSecond)).join(" and ")} transitions/s** (mean ${fmtInt(limit)}).`,
    "",
    `Targets: ≥ ${fmtInt(TARGET_STEPS_PER_SECOND)} steps/s — **${best >= TARGET_STEPS_PER_SECOND ? "met" : "not met"}** (best ${fmtInt(best)}); ` +
      `≥ ${TARGET_RATIO}× the baseline — **${ratio >= TARGET_RATIO ? "met" : "not met"}** (${fmt(ratio, 2)}×); ` +
      `≤ 3 SQL statements and ≤ 0.5 commits per step — see the table.`,
    "",
    table(
      ["worker concurrency / pool", "steps/s", "wall ms", "steps", "run ms p50 / p99", "start mutation ms p50 / p99", "SQL/step", "commits/step", "× baseline", "app CPU ms/step", "PG CPU ms/step", "Σ statement ms/step"],
      rows,
    ),
    "",
    "_Σ statement ms_ adds up Prisma's reported duration of every statement (concurrent ones overlap, and under a",
    "saturated event loop it includes waiting for the loop), so it is not database time; _PG CPU_ is.",
    "",
    "SQL statements the app ran, by kind (from `onQuery`; Prisma does not report BEGIN, counted here as one per",
    "COMMIT/ROLLBACK; `engine:*` are the engine store's statements on `pg`, each its own transaction;",
    "graphile-worker's own queries on its own pool are not included):",
    "",
    ...counted.map((r) => `- ${label(r)}: ${r.kinds}`),
    "",
    "CPU over the measured window (user + system, from `process.cpuUsage()` and `/proc/<pid>/stat` of every `postgres` process):",
    "",
    ...results.map((r) => `- ${label(r)}: ${r.cpu}`),
    "",
    ...results.flatMap((r) => [`${label(r)}:`, "", ...profileLines(r.profile), ""]),
    ...results.flatMap((r) => (r.errors.length ? [`App errors (${label(r)}): ${r.errors.join("; ")}`, ""] : [])),
    ...skipped.map((line) => `- ${line}`),
  ].join("\n");
  return {
    id: "engine",
    title: "(c) Engine throughput",
    markdown,
    console: results.map(
      (r) =>
        `${label(r)}: ${fmtInt(r.stepsPerSecond)} steps/s` +
        (r.countSql ? `, ${fmt(r.statementsPerStep)} SQL/step, ${fmt(r.commitsPerStep, 2)} commits/step` : "") +
        `, ${fmt(r.stepsPerSecond / limit, 2)}× the bare-pg limit` +
        `, app CPU ${fmt(r.appCpuMsPerStep, 2)} ms/step, PostgreSQL CPU ${fmt(r.pgCpuMsPerStep, 2)} ms/step`,
    ),
  };
}
