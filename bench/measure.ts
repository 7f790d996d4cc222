// One measured window: SQL statements (counted from here), CPU of the app and of PostgreSQL, and
// a CPU profile of the app process, all started and ended together.
import { type CpuProfileSummary, formatPlaces, startCpuProfile } from "./cpu-profile.ts";
import type { BenchApp, BenchEnv } from "./harness.ts";
import { type CpuWindow, type SqlWindow, startCpuWindow } from "./sql-profile.ts";

export type Measurement = { sql: SqlWindow; cpu: CpuWindow; profile: CpuProfileSummary | null };

/** Counting starts synchronously, at the call; the profiler joins a moment later. */
export function startMeasurement(bench: BenchApp, env: BenchEnv, name: string): () => Promise<Measurement> {
  bench.sql.reset();
  const endCpu = startCpuWindow();
  const profiler = startCpuProfile(env.profile, name);
  return async () => {
    const sql = bench.sql.snapshot();
    const cpu = endCpu();
    const profile = (await (await profiler)?.stop()) ?? null;
    return { sql, cpu, profile };
  };
}

/** Markdown lines describing where the app process spent its CPU time. */
export function profileLines(profile: CpuProfileSummary | null): string[] {
  if (!profile) return ["- CPU profile: off (--no-profile)."];
  return [
    `- App process CPU profile (main thread ${Math.round(profile.busy * 100)}% busy), self time by place: ${formatPlaces(profile)}.`,
    `- Hottest functions: ${profile.functions
      .slice(0, 6)
      .map((f) => `${f.name} ${Math.round(f.share * 100)}%`)
      .join(", ")}.`,
  ];
}
