// (d) Both cores: does the HTTP side gain from a second API process? The dashboard query (as in
// (a)) against 1 and then 2 API-only processes sharing one port (node:cluster), alternating, on
// one database seeded with 5,000 executions; no worker runs. On 2 cores PostgreSQL and Node share
// the CPU, so the answer is measured, not assumed.
import { withApiProcesses } from "./api-processes.ts";
import { runChild } from "./child.ts";
import type { HttpLoadDone, HttpLoadRequest } from "./clients/http-load.ts";
import { DASHBOARD_QUERY } from "./dashboard.ts";
import { type BenchEnv, withBenchApp } from "./harness.ts";
import { type BenchResult, fmt, fmtInt, summarize, table } from "./report.ts";
import { seed } from "../src/seed/seed.ts";

const SEEDED_EXECUTIONS = 5000;
const CONCURRENCY = 32;
const WARMUP_MS = 2_000;
const DURATION_MS = 10_000;
const ROUNDS = [1, 2, 1, 2];

type Round = { processes: number; rps: number; p50: number; p99: number; failed: number };

export async function httpProcessesBenchmark(env: BenchEnv): Promise<BenchResult> {
  return withBenchApp(env, { RUN_WORKER: "false" }, async (bench) => {
    await seed({ db: bench.app.db, url: bench.databaseUrl }, { executions: SEEDED_EXECUTIONS });
    const rounds: Round[] = [];
    for (const processes of ROUNDS) {
      if (env.signal.aborted) break;
      const done = await withApiProcesses(processes, bench.databaseUrl, (url) => {
        const request: HttpLoadRequest = {
          url,
          body: JSON.stringify({ query: DASHBOARD_QUERY }),
          concurrency: CONCURRENCY,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          maxRequests: 200_000,
        };
        return runChild<HttpLoadDone>(new URL("./clients/http-load.ts", import.meta.url), request, {
          timeoutMs: WARMUP_MS + DURATION_MS + 60_000,
          signal: env.signal,
        });
      });
      const latency = summarize(done.latenciesMs);
      rounds.push({ processes, rps: (latency.count / done.measuredMs) * 1000, p50: latency.p50, p99: latency.p99, failed: done.failed });
    }
    const best = (n: number) => {
      const of = rounds.filter((r) => r.processes === n).sort((a, b) => b.rps - a.rps);
      return of[0];
    };
    const one = best(1);
    const two = best(2);
    const ratio = one && two ? two.rps / one.rps : NaN;
    const verdict = ratio >= 1.1 ? "two API processes" : "one API process";
    const markdown = [
      `The dashboard query of (a), ${CONCURRENCY} keep-alive clients, ${DURATION_MS / 1000} s per round after ${WARMUP_MS / 1000} s`,
      `of warm-up, against API-only processes sharing one port (node:cluster), rounds alternating ${ROUNDS.join(", ")}.`,
      `Database seeded with ${fmtInt(SEEDED_EXECUTIONS)} executions; no worker.`,
      "",
      table(
        ["round", "API processes", "req/s", "p50 ms", "p99 ms", "failed"],
        rounds.map((r, i) => [String(i + 1), String(r.processes), fmtInt(r.rps), fmt(r.p50), fmt(r.p99), fmtInt(r.failed)]),
      ),
      "",
      `Best of each: 2 processes / 1 process = **${fmt(ratio, 2)}×** → recommended: **${verdict}** per 2-core machine`,
      "(a second process must gain ≥ 10 % to be worth its memory and connections).",
    ].join("\n");
    return {
      id: "http-processes",
      title: "(d) One or two API processes on two cores",
      markdown,
      console: [
        ...rounds.map((r) => `${r.processes} process(es): ${fmtInt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`),
        `2/1 = ${fmt(ratio, 2)}× → ${verdict}`,
      ],
    };
  });
}
