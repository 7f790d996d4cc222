// `npm run bench [-- dashboard subscriptions engine list-changes history http-processes] [--no-profile] [--profile-dir=DIR]`: runs the
// named benchmarks (all by default) one after another, each on a fresh database, prints the results
// and rewrites the generated part of BENCHMARKS.md. A CPU profile of the app process is sampled over
// each measured window (--no-profile: off; --profile-dir: also keep the raw .cpuprofile files).
// `npm run bench` sets NODE_ENV=production in the environment: graphql-js reads it when it loads and
// otherwise runs development-only checks (instanceOf, ~5% of the dashboard's CPU) that a production
// server does not.
// For a quick check that a benchmark works (not for figures): --duration=S shortens the measured
// phase of the dashboard benchmark to S seconds, --executions=N seeds N executions instead of 5,000.
// The PostgreSQL server is BENCH_DATABASE_URL's (it must be on 127.0.0.1 and allow CREATE
// DATABASE), else postgresql://postgres@127.0.0.1:5432/postgres.
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dashboardBenchmark } from "./dashboard.ts";
import { engineBenchmark } from "./engine.ts";
import { engineScaleBenchmark } from "./engine-scale.ts";
import { httpProcessesBenchmark } from "./http-processes.ts";
import { listChangesBenchmark } from "./list-changes.ts";
import { historyBenchmark } from "./history.ts";
import { DEFAULT_ADMIN_URL, type BenchEnv, leaks, postgresVersion, withTemplate } from "./harness.ts";
import { type BenchResult, describeMachine, writeBenchmarksFile } from "./report.ts";
import { subscriptionsBenchmark } from "./subscriptions.ts";

const BENCHMARKS: Record<string, (env: BenchEnv) => Promise<BenchResult>> = {
  dashboard: dashboardBenchmark,
  subscriptions: subscriptionsBenchmark,
  engine: engineBenchmark,
  "engine-scale": engineScaleBenchmark,
  "http-processes": httpProcessesBenchmark,
  "list-changes": listChangesBenchmark,
  history: historyBenchmark,
};
const ORDER = Object.keys(BENCHMARKS);
const BENCHMARKS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../BENCHMARKS.md");

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  const options = args.filter((a) => a.startsWith("--"));
  const names = args.filter((a) => !a.startsWith("--"));
  const profileDir = options.find((o) => o.startsWith("--profile-dir="))?.slice("--profile-dir=".length);
  const profile = { enabled: !options.includes("--no-profile"), saveDir: profileDir };
  const numberOption = (name: string) => {
    const value = options.find((o) => o.startsWith(`--${name}=`))?.slice(name.length + 3);
    return value === undefined ? undefined : Number(value);
  };
  const durationS = numberOption("duration");
  const executions = numberOption("executions");
  const valued = ["--profile-dir=", "--duration=", "--executions="];
  const unknownOptions = options.filter((o) => o !== "--no-profile" && !valued.some((v) => o.startsWith(v)));
  const invalid = [durationS, executions].some((n) => n !== undefined && !(Number.isFinite(n) && n > 0));
  if (unknownOptions.length > 0 || invalid) {
    console.error(
      `Unknown or invalid option(s): ${unknownOptions.join(", ") || "a number"}. ` +
        "Options: --no-profile, --profile-dir=DIR, --duration=S, --executions=N",
    );
    return 2;
  }
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Available: ${ORDER.join(", ")}`);
    return 2;
  }
  const selected = names.length > 0 ? ORDER.filter((n) => names.includes(n)) : ORDER;
  const adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_URL;

  // Ctrl-C: stop the loops early but still stop the apps and drop the databases.
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    console.error("\nInterrupted: cleaning up (Ctrl-C again to quit at once)");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const machine = await describeMachine(await postgresVersion(adminUrl));
  console.log(`${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}`);
  const results: BenchResult[] = [];
  await withTemplate(adminUrl, async (template) => {
    for (const name of selected) {
      if (abort.signal.aborted) break;
      const bench = BENCHMARKS[name] as (env: BenchEnv) => Promise<BenchResult>;
      console.log(`\n▶ ${name}`);
      const started = process.hrtime.bigint();
      const loadAverage = os.loadavg()[0];
      const quick = { durationMs: durationS === undefined ? undefined : durationS * 1000, executions };
      const result = { ...(await bench({ adminUrl, template, signal: abort.signal, profile, quick })), loadAverage };
      results.push(result);
      console.log(result.console.map((l) => `  ${l}`).join("\n"));
      console.log(`  (${Math.round(Number(process.hrtime.bigint() - started) / 1e9)} s)`);
    }
  });
  for (const leak of leaks) console.warn(`Leak: ${leak}`);
  if (abort.signal.aborted) {
    console.error("Interrupted: BENCHMARKS.md left unchanged.");
    return 130;
  }
  if (durationS !== undefined || executions !== undefined) {
    console.log("\nA quick run (--duration/--executions): BENCHMARKS.md left unchanged.");
    return 0;
  }
  await writeBenchmarksFile(BENCHMARKS_FILE, machine, results, ORDER);
  console.log(`\nWrote ${path.relative(process.cwd(), BENCHMARKS_FILE)}`);
  return 0;
}

const finished = (code: number) => {
  process.exitCode = code;
  // Everything started should have been stopped; if something still holds the process, say what.
  setTimeout(() => {
    console.error("Still running 5 s after the end; not stopped:", process.getActiveResourcesInfo().join(", "));
    process.exit(1);
  }, 5_000).unref();
};

main().then(finished, (error: unknown) => {
  console.error(error);
  finished(1);
});
