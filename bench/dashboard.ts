// (a) Dashboard query: the executions page a dashboard polls, over HTTP POST, from 32 keep-alive
// clients in a child process, on a database seeded with 5,000 executions; in the same run, the same
// load on a bare pg + node:http server answering the same JSON from one SQL statement (the floor).
import { isDeepStrictEqual } from "node:util";
import { runChild } from "./child.ts";
import type { BaselineDone, BaselineListening, BaselineRequest } from "./dashboard-baseline.ts";
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
const TARGET_RATIO = 0.6;
/** The baseline's pool: the size of the app's (DATABASE_POOL_SIZE's default). */
const POOL_SIZE = 10;

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

/** Each target is loaded this many times, alternating with the other, so drift on the machine hits both. */
const ROUNDS = 2;

type Baseline = { url: string; stop(): Promise<BaselineDone> };

/** The bare pg + node:http server of dashboard-baseline.ts, in a child process of its own like the load client. */
async function startBaseline(request: BaselineRequest, signal: AbortSignal): Promise<Baseline> {
  let stop: (() => void) | undefined;
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (listening = resolve));
  const done = runChild<BaselineDone>(new URL("./dashboard-baseline.ts", import.meta.url), request, {
    timeoutMs: 60 * 60_000,
    signal,
    onMessage: (m, send) => {
      if (m.type !== "listening") return;
      stop = () => send({ type: "stop" });
      listening((m as unknown as BaselineListening).url);
    },
  });
  const ended = done.then(() => Promise.reject(new Error("the baseline ended before it listened")));
  return { url: await Promise.race([url, ended]), stop: () => (stop?.(), done) };
}

async function post(url: string): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: DASHBOARD_QUERY }),
  });
  return res.json();
}

/** The first path where two JSON values differ, for the message when the baseline does not answer what the app does. */
function firstDifference(a: unknown, b: unknown, path = "$"): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const [x, y] = [(a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]];
    const found = firstDifference(x, y, `${path}.${key}`);
    if (found) return found;
  }
  return `${path}: differs`;
}

export async function dashboardBenchmark(env: BenchEnv): Promise<BenchResult> {
  const durationMs = env.quick?.durationMs ?? DURATION_MS;
  const executions = env.quick?.executions ?? SEEDED_EXECUTIONS;
  return withBenchApp(env, { RUN_WORKER: "false" }, async (bench) => {
    const seedStarted = process.hrtime.bigint();
    const seeded = await seed({ db: bench.app.db, url: bench.databaseUrl }, { executions });
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

    const tenant = await bench.pg.query<{ id: string }>(`SELECT id FROM "Tenant" WHERE slug = 'dev'`);
    const tenantId = (tenant.rows[0] as { id: string }).id;
    const baseline = await startBaseline({ databaseUrl: bench.databaseUrl, tenantId, poolSize: POOL_SIZE }, env.signal);
    const app = { latencies: [] as number[], measuredMs: 0, failed: 0, cpuMs: 0, firstFailure: null as string | null };
    const floor = { ...app, latencies: [] as number[] };
    let measured: Measurement | undefined;
    let baselineDone: BaselineDone;
    try {
      // Same page, same JSON: otherwise the comparison would compare different work.
      const difference = firstDifference(await post(bench.url), await post(baseline.url));
      if (difference) throw new Error(`the baseline's response differs from the app's at ${difference}`);

      const load = async (url: string, into: typeof app, onMeasuring?: () => void) => {
        const request: HttpLoadRequest = {
          url,
          body: JSON.stringify({ query: DASHBOARD_QUERY }),
          concurrency: CONCURRENCY,
          warmupMs: WARMUP_MS,
          durationMs: durationMs / ROUNDS,
          maxRequests: MAX_REQUESTS,
        };
        const done = await runChild<HttpLoadDone>(new URL("./clients/http-load.ts", import.meta.url), request, {
          timeoutMs: WARMUP_MS + durationMs + 60_000,
          signal: env.signal,
          onMessage: (m) => m.type === "measuring" && onMeasuring?.(),
        });
        into.latencies.push(...done.latenciesMs);
        into.measuredMs += done.measuredMs;
        into.failed += done.failed;
        into.cpuMs += done.cpuMs;
        into.firstFailure ??= done.firstFailure;
      };
      for (let round = 0; round < ROUNDS && !env.signal.aborted; round += 1) {
        // The app's statements, CPU and profile over its first round.
        let measuring: (() => Promise<Measurement>) | undefined;
        const measure = () => (measuring = startMeasurement(bench, env, "dashboard"));
        await load(bench.url, app, round === 0 ? measure : undefined);
        if (round === 0) {
          if (!measuring) throw new Error("the load client never reached its measured phase");
          measured = await measuring();
        }
        await load(baseline.url, floor);
      }
    } finally {
      baselineDone = await baseline.stop();
    }
    if (!measured) throw new Error("interrupted");
    const { sql: window, cpu, profile } = measured;

    const latency = summarize(app.latencies);
    const rps = (latency.count / app.measuredMs) * 1000;
    const base = summarize(floor.latencies);
    const baseRps = (base.count / floor.measuredMs) * 1000;
    const ratio = rps / baseRps;
    const unloaded = summarize(sequential);
    // Over the first app round only, where the window was taken.
    const firstRoundRequests = Math.max(1, (latency.count + app.failed) / ROUNDS);
    const loadedPerRequest = window.count / firstRoundRequests;
    const dbMsPerRequest = window.dbMs / firstRoundRequests;
    const cpuLine = formatCpu(cpu, [{ label: "load client", ms: app.cpuMs / ROUNDS }]);
    const row = (name: string, s: typeof latency, r: number, failed: number) => [
      name,
      `**${fmtInt(r)}**`,
      fmt(s.p50),
      fmt(s.p90),
      fmt(s.p99),
      fmt(s.max),
      fmtInt(s.count),
      fmtInt(failed),
    ];

    const markdown = [
      `\`executions(first: 50)\` with workflow, progress and \`steps(first: 10)\` per execution (${edges} executions,`,
      `${stepEdges} steps per response) on a database seeded with ${fmtInt(seeded.counts.executions)} executions;`,
      `${CONCURRENCY} keep-alive clients (Node fetch, in a child process), ${ROUNDS} rounds of ${fmt(durationMs / ROUNDS / 1000)} s each after a`,
      `${WARMUP_MS / 1000} s warm-up, alternating between the app and a baseline: a bare \`node:http\` + \`pg\` server`,
      "(bench/dashboard-baseline.ts, its own process) answering the same request with the same JSON (checked) from",
      "one hand-written SQL statement. Worker off.",
      `Target ≥ ${TARGET_RPS} req/s: **${rps >= TARGET_RPS ? "met" : "not met"}**; app/baseline ≥ ${TARGET_RATIO}×:`,
      `**${fmt(ratio, 2)}× (${ratio >= TARGET_RATIO ? "met" : "not met"})**.`,
      "",
      table(
        ["server", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "requests", "failed"],
        [
          row("app (GraphQL)", latency, rps, app.failed),
          row("baseline (one SQL statement)", base, baseRps, floor.failed),
        ],
      ),
      "",
      `- App: ${fmt(perRequest)} statements per request one at a time`,
      `  (${formatKinds(single.byKind, sequential.length, "request")}), p50 ${fmt(unloaded.p50)} ms,`,
      `  p99 ${fmt(unloaded.p99)} ms (${sequential.length} samples); their reported durations add up to`,
      `  ${fmt(single.dbMs / sequential.length, 2)} ms. Under load (first round): ${fmt(loadedPerRequest)} statements per`,
      `  request, whose durations add up to ${fmt(dbMsPerRequest)} ms per request: that includes waiting for a pooled`,
      "  connection and for the saturated event loop, so it is not database time; PostgreSQL CPU is.",
      `- App CPU (first round): ${cpuLine}; ${fmt(cpu.nodeMs / firstRoundRequests, 2)} ms app and`,
      `  ${fmt(cpu.postgresMs / firstRoundRequests, 2)} ms PostgreSQL CPU per request.`,
      `- Baseline: ${fmt(baselineDone.cpuMs / Math.max(1, baselineDone.requests), 2)} ms of its process's CPU per`,
      "  request.",
      ...profileLines(profile),
      ...(app.firstFailure ? [`- First app failure: \`${app.firstFailure.slice(0, 200)}\``] : []),
      ...(floor.firstFailure ? [`- First baseline failure: \`${floor.firstFailure.slice(0, 200)}\``] : []),
      ...(bench.errors.length ? [`- App errors: ${bench.errors.slice(0, 3).join("; ")}`] : []),
    ].join("\n");
    return {
      id: "dashboard",
      title: "(a) Dashboard query throughput and latency",
      markdown,
      console: [
        `app ${fmtInt(rps)} req/s, p50 ${fmt(latency.p50)} ms, p99 ${fmt(latency.p99)} ms, ` +
          `${fmtInt(latency.count)} ok, ${app.failed} failed`,
        `baseline ${fmtInt(baseRps)} req/s, p50 ${fmt(base.p50)} ms, p99 ${fmt(base.p99)} ms, ` +
          `${fmtInt(base.count)} ok, ${floor.failed} failed`,
        `app/baseline ${fmt(ratio, 2)}× (target ≥ ${TARGET_RATIO}×)`,
        `${fmt(perRequest)} SQL/request (sequential), ${fmt(loadedPerRequest)} under load`,
        `CPU: ${cpuLine}`,
      ],
    };
  });
}
