// (a) Dashboard query: the executions page a dashboard polls, over HTTP POST, from 32 keep-alive
// clients in a child process, on a database seeded with 5,000 executions.
import { runChild } from "./child.ts";
import type { HttpLoadDone, HttpLoadRequest } from "./clients/http-load.ts";
import { type BenchEnv, withBenchApp } from "./harness.ts";
import { type BenchResult, elapsedMs, fmt, fmtInt, summarize, table } from "./report.ts";
import { type Measurement, profileLines, startMeasurement } from "./measure.ts";
import { formatCpu, formatKinds } from "./sql-profile.ts";
import { seed } from "../src/seed/seed.ts";

const SEEDED_EXECUTIONS = 5000;
const CONCURRENCY = 32;
const WARMUP_MS = 2_000;
const DURATION_MS = 10_000;
const MAX_REQUESTS = 200_000;
const SEQUENTIAL_SAMPLES = 20;
const TARGET_RPS = 500;

export const DASHBOARD_QUERY = `query BenchDashboard {
  executions(first: 50) {
    edges { node {
      id status createdAt durationMs
      workflow { name }
      progress { totalSteps completedSteps failedSteps percent }
      steps(first: 10) { edges { node { key status durationMs } } }
    } }
  }
}`;

type ExecutionsPage = { executions: { edges: { node: { steps: { edges: unknown[] } } }[] } };

export async function dashboardBenchmark(env: BenchEnv): Promise<BenchResult> {
  return withBenchApp(env, { RUN_WORKER: "false" }, async (bench) => {
    const seedStarted = process.hrtime.bigint();
    const seeded = await seed({ db: bench.app.db, url: bench.databaseUrl }, { executions: SEEDED_EXECUTIONS });
    const seedMs = elapsedMs(seedStarted);
    console.log(`  seeded ${fmtInt(seeded.counts.executions)} executions, ${fmtInt(seeded.counts.steps)} steps in ${fmtInt(seedMs)} ms`);

    // One request at a time first: exact statements per request and an unloaded latency.
    const page = await bench.graphql<ExecutionsPage>(DASHBOARD_QUERY);
    const edges = page.executions.edges.length;
    const stepEdges = page.executions.edges.reduce((n, e) => n + e.node.steps.edges.length, 0);
    bench.sql.reset();
    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL_SAMPLES && !env.signal.aborted; i += 1) {
      const sent = process.hrtime.bigint();
      await bench.graphql(DASHBOARD_QUERY);
      sequential.push(elapsedMs(sent));
    }
    const single = bench.sql.snapshot();
    const perRequest = single.count / sequential.length;

    let measuring: (() => Promise<Measurement>) | undefined;
    const request: HttpLoadRequest = {
      url: bench.url,
      body: JSON.stringify({ query: DASHBOARD_QUERY }),
      concurrency: CONCURRENCY,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      maxRequests: MAX_REQUESTS,
    };
    const done = await runChild<HttpLoadDone>(new URL("./clients/http-load.ts", import.meta.url), request, {
      timeoutMs: WARMUP_MS + DURATION_MS + 60_000,
      signal: env.signal,
      onMessage: (m) => {
        if (m.type === "measuring") measuring = startMeasurement(bench, env, "dashboard");
      },
    });
    if (!measuring) throw new Error("the load client never reached its measured phase");
    const { sql: window, cpu, profile } = await measuring();

    const latency = summarize(done.latenciesMs);
    const rps = (latency.count / done.measuredMs) * 1000;
    const unloaded = summarize(sequential);
    const loadedPerRequest = window.count / Math.max(1, latency.count + done.failed);
    const dbMsPerRequest = window.dbMs / Math.max(1, latency.count);
    const cpuLine = formatCpu(cpu, [{ label: "load client", ms: done.cpuMs }]);

    const markdown = [
      `\`executions(first: 50)\` with workflow, progress and \`steps(first: 10)\` per execution (${edges} executions,`,
      `${stepEdges} steps per response) on a database seeded with ${fmtInt(seeded.counts.executions)} executions; ${CONCURRENCY} keep-alive`,
      `clients (Node fetch, in a child process) for ${DURATION_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up. Worker off.`,
      `Target ≥ ${TARGET_RPS} req/s: **${rps >= TARGET_RPS ? "met" : "not met"}**.`,
      "",
      table(
        ["req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "requests", "failed", "SQL/request", "app CPU ms/request", "PG CPU ms/request"],
        [
          [
            `**${fmtInt(rps)}**`,
            fmt(latency.p50),
            fmt(latency.p90),
            fmt(latency.p99),
            fmt(latency.max),
            fmtInt(latency.count),
            fmtInt(done.failed),
            fmt(perRequest),
            fmt(cpu.nodeMs / Math.max(1, latency.count), 2),
            fmt(cpu.postgresMs / Math.max(1, latency.count), 2),
          ],
        ],
      ),
      "",
      `- One request at a time (${sequential.length} samples): p50 ${fmt(unloaded.p50)} ms, p99 ${fmt(unloaded.p99)} ms;`,
      `  ${fmt(perRequest)} statements per request (${formatKinds(single.byKind, sequential.length, "request")}),`,
      `  whose Prisma-reported durations add up to ${fmt(single.dbMs / sequential.length, 2)} ms.`,
      `- Under load: ${fmt(loadedPerRequest)} statements per request (window count / requests). Their Prisma-reported`,
      `  durations add up to ${fmt(dbMsPerRequest)} ms per request: that includes waiting for a pooled connection and for`,
      "  the saturated event loop, so it is not database time; PostgreSQL CPU is.",
      `- CPU: ${cpuLine}.`,
      ...profileLines(profile),
      ...(done.firstFailure ? [`- First failure: \`${done.firstFailure.slice(0, 200)}\``] : []),
      ...(bench.errors.length ? [`- App errors: ${bench.errors.slice(0, 3).join("; ")}`] : []),
    ].join("\n");
    return {
      id: "dashboard",
      title: "(a) Dashboard query throughput and latency",
      markdown,
      console: [
        `${fmtInt(rps)} req/s, p50 ${fmt(latency.p50)} ms, p99 ${fmt(latency.p99)} ms, ${fmtInt(latency.count)} ok, ${done.failed} failed`,
        `${fmt(perRequest)} SQL/request (sequential), ${fmt(loadedPerRequest)} under load`,
        `CPU: ${cpuLine}`,
      ],
    };
  });
}
