// (e) Cost against history: the dashboard query (with totalCount) and executionStats, one request
// at a time, on a tenant with 5,000 executions (the seed, run by the engine) and again once bulk
// SQL has added old finished runs up to 500,000 (BENCH_HISTORY_EXECUTIONS to change it). Seeding
// that many through the engine would take an hour; the extra history is written directly and the
// execution rollup rebuilt the way the migration's backfill does. Target: p50 at 500k ≤ 2 × p50 at 5k.
import { REBUILD_ROLLUP_SQL } from "../src/engine/store/rollup.ts";
import { rollupCount } from "../src/read/rollup-count.ts";
import { seed } from "../src/seed/seed.ts";
import { DASHBOARD_QUERY } from "./dashboard.ts";
import { type BenchApp, type BenchEnv, withBenchApp } from "./harness.ts";
import { type BenchResult, elapsedMs, fmt, fmtInt, type Summary, summarize, table } from "./report.ts";

const SEEDED_EXECUTIONS = 5000;
const HISTORY_EXECUTIONS = Number(process.env.BENCH_HISTORY_EXECUTIONS ?? 500_000);
const CHUNK = 50_000;
const WARMUP = 5;
const SAMPLES = 40;
const TARGET_RATIO = 2;

const DASHBOARD_WITH_COUNT = DASHBOARD_QUERY.replace("executions(first: 50) {", "executions(first: 50) {\n    totalCount");

/** What a stats page asks for: the summary, the 30-day chart, the busiest workflows, the failing steps. */
export const STATS_QUERY = `query BenchStats {
  executionStats {
    total byStatus { status count } successRate avgDurationMs p50DurationMs p95DurationMs
    daily(days: 30) { date total completed failed cancelled }
    topWorkflows(limit: 5) { workflow { name } total completed failed successRate avgDurationMs p95DurationMs }
    failingSteps(limit: 10) { type key total failed failureRate avgDurationMs p95DurationMs }
  }
}`;

/** failingSteps alone: the step rollup's part of the figure above. */
const FAILING_STEPS_QUERY = `query BenchFailingSteps {
  executionStats { failingSteps(limit: 10) { type key total failed failureRate avgDurationMs p95DurationMs } }
}`;

type Probe = { name: string; run: (bench: BenchApp, tenantId: string) => Promise<unknown> };

const PROBES: Probe[] = [
  { name: "dashboard with totalCount", run: (b) => b.graphql(DASHBOARD_WITH_COUNT) },
  { name: "executionStats", run: (b) => b.graphql(STATS_QUERY) },
  { name: "executionStats.failingSteps", run: (b) => b.graphql(FAILING_STEPS_QUERY) },
  // totalCount's two ways in SQL alone: what page.ts runs today, and the rollup count to wire in.
  { name: "SQL: count(*) of the tenant", run: (b, t) => b.app.db.execution.count({ where: { tenantId: t } }) },
  { name: "SQL: rollupCount of the tenant", run: (b, t) => rollupCount(b.app.db, t, {}) },
];

async function measure(bench: BenchApp, tenantId: string, signal: AbortSignal): Promise<Summary[]> {
  const results: Summary[] = [];
  for (const probe of PROBES) {
    for (let i = 0; i < WARMUP; i += 1) await probe.run(bench, tenantId);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES && !signal.aborted; i += 1) {
      const started = process.hrtime.bigint();
      await probe.run(bench, tenantId);
      samples.push(elapsedMs(started));
    }
    results.push(summarize(samples));
  }
  return results;
}

/**
 * Finished runs of the tenant's workflows, created 31 to 365 days ago, each with one batch of
 * three steps (the failing step of a FAILED run FAILED): deterministic in the row number.
 */
async function addHistory(bench: BenchApp, tenantId: string, count: number): Promise<void> {
  for (let offset = 0; offset < count; offset += CHUNK) {
    const n = Math.min(CHUNK, count - offset);
    await bench.pg.query(
      `WITH wf AS (
         SELECT array_agg(id ORDER BY name) AS ids, array_agg(version ORDER BY name) AS versions, count(*)::int AS n
         FROM "Workflow" WHERE "tenantId" = $1::uuid
       ), g AS (
         SELECT i, (i * 2654435761) % 1000 AS r, floor(100 * exp(((i * 37) % 1000) / 200.0))::int AS ms,
           now() - interval '31 days' - ((i * 7919) % (334 * 86400)) * interval '1 second' AS at
         FROM generate_series($2::bigint, $2::bigint + $3 - 1) AS i
       )
       INSERT INTO "Execution" (id, "tenantId", "workflowId", "workflowVersion", status, "triggerSource", "triggerEvent",
         "createdAt", "startedAt", "completedAt", "durationMs", "lastEventSequence", "errorCode")
       SELECT gen_random_uuid(), $1::uuid, wf.ids[1 + g.i % wf.n], wf.versions[1 + g.i % wf.n], s.status,
         (CASE WHEN g.r % 10 = 0 THEN 'API' ELSE 'MANUAL' END)::"TriggerSource", 'bench.history',
         g.at, g.at + interval '1 second', g.at + interval '1 second' + g.ms * interval '1 millisecond', g.ms, 0,
         CASE WHEN s.status = 'FAILED' THEN 'STEP_FAILED' END
       FROM g CROSS JOIN wf
       CROSS JOIN LATERAL (SELECT (CASE WHEN g.r < 800 THEN 'COMPLETED' WHEN g.r < 930 THEN 'FAILED'
         WHEN g.r < 980 THEN 'CANCELLED' ELSE 'TIMED_OUT' END)::"ExecutionStatus" AS status) s`,
      [tenantId, offset, n],
    );
  }
  await bench.pg.query(
    `INSERT INTO "Batch" (id, "tenantId", "executionId", index, status, "startedAt", "completedAt", "durationMs")
     SELECT gen_random_uuid(), e."tenantId", e.id, 0, 'COMPLETED', e."startedAt", e."completedAt", e."durationMs"
     FROM "Execution" e WHERE e."tenantId" = $1::uuid AND e."triggerEvent" = 'bench.history'`,
    [tenantId],
  );
  await bench.pg.query(
    `INSERT INTO "Step" (id, "tenantId", "executionId", "batchId", key, name, type, index, status, attempt,
       "startedAt", "completedAt", "durationMs")
     SELECT gen_random_uuid(), e."tenantId", e.id, b.id, k.key, k.key, k.type, k.index,
       (CASE WHEN e.status = 'FAILED' AND k.index = 1 THEN 'FAILED' ELSE 'COMPLETED' END)::"StepStatus", 1,
       e."startedAt", e."completedAt", e."durationMs" / 3
     FROM "Execution" e JOIN "Batch" b ON b."executionId" = e.id
     CROSS JOIN (VALUES (0, 'fetch', 'http'), (1, 'transform', 'transform'), (2, 'notify', 'log')) AS k(index, key, type)
     WHERE e."tenantId" = $1::uuid AND e."triggerEvent" = 'bench.history'`,
    [tenantId],
  );
  for (const statement of REBUILD_ROLLUP_SQL.split(";").map((s) => s.trim()).filter(Boolean)) {
    await bench.pg.query(statement);
  }
  await bench.pg.query(`VACUUM (ANALYZE) "Execution", "Batch", "Step", "ExecutionDailyRollup", "ExecutionTotalRollup"`);
}

export async function historyBenchmark(env: BenchEnv): Promise<BenchResult> {
  return withBenchApp(
    env,
    { RUN_WORKER: "false" },
    async (bench) => {
      const seeded = await seed({ db: bench.app.db, url: bench.databaseUrl }, { executions: SEEDED_EXECUTIONS });
      const tenantId = seeded.tenantId;
      const small = await measure(bench, tenantId, env.signal);
      const extra = Math.max(0, HISTORY_EXECUTIONS - seeded.counts.executions);
      const started = process.hrtime.bigint();
      await addHistory(bench, tenantId, extra);
      const historyMs = elapsedMs(started);
      const total = await bench.app.db.execution.count({ where: { tenantId } });
      console.log(`  added ${fmtInt(extra)} executions of history in ${fmtInt(historyMs)} ms`);
      const large = await measure(bench, tenantId, env.signal);

      const rows = PROBES.map((probe, i) => {
        const a = small[i] as Summary;
        const b = large[i] as Summary;
        const ratio = b.p50 / a.p50;
        const verdict = probe.name.startsWith("SQL") ? "" : ratio <= TARGET_RATIO ? "met" : "**not met**";
        return [probe.name, fmt(a.p50, 2), fmt(a.p99, 2), fmt(b.p50, 2), fmt(b.p99, 2), `${fmt(ratio, 2)}×`, verdict];
      });
      const markdown = [
        `One request at a time over HTTP (${SAMPLES} samples after ${WARMUP} warm-up each), worker off: on the seeded`,
        `${fmtInt(seeded.counts.executions)} executions, then with ${fmtInt(extra)} finished runs of bulk history added`,
        `(31 to 365 days old, 3 steps each; ${fmtInt(total)} executions in the tenant) and the rollup rebuilt.`,
        `Target: p50 at ${fmtInt(total)} ≤ ${TARGET_RATIO} × p50 at ${fmtInt(seeded.counts.executions)}.`,
        "",
        table(
          ["", `p50 ms (${fmtInt(seeded.counts.executions)})`, "p99 ms", `p50 ms (${fmtInt(total)})`, "p99 ms", "p50 ratio", "target"],
          rows,
        ),
        "",
        "- `totalCount` comes from the rollup (src/read/execution-count.ts), except for a `search`, which counts rows; the two",
        "  SQL rows show what each way costs on its own.",
        "- executionStats has no from/to, as a dashboard's first view: every part of it reads the rollups.",
      ].join("\n");
      return {
        id: "history",
        title: "(e) Cost against history: 5,000 vs 500,000 executions",
        markdown,
        console: rows.map((r) => `${r[0]}: p50 ${r[1]} → ${r[3]} ms (${r[5]}) ${r[6]}`.trim()),
      };
    },
    { countSql: false },
  );
}
