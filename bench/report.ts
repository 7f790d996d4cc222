// Statistics over recorded latencies, the machine description, and BENCHMARKS.md: each benchmark
// owns one generated block between markers, so a partial run (`npm run bench -- engine`) replaces
// only its own block and every hand-written line outside the markers stays.
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";

export type Summary = { count: number; min: number; p50: number; p90: number; p99: number; max: number; mean: number };

/** Nearest-rank percentiles; `values` need not be sorted (a sorted copy is made). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0] as number,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

/** Milliseconds between two `process.hrtime.bigint()` readings. */
export const elapsedMs = (from: bigint, to: bigint = process.hrtime.bigint()): number => Number(to - from) / 1e6;

export const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–";

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** What a benchmark hands back: markdown for BENCHMARKS.md and a few lines for the console. */
export type BenchResult = {
  id: string;
  title: string;
  markdown: string;
  console: string[];
  /** 1-minute load average just before this benchmark started (set by main). */
  loadAverage?: number;
};

export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  os: string;
  date: string;
  /** 1-minute load average when the run began: other work on the machine skews every number. */
  loadAverage: number;
};

export async function describeMachine(postgresVersion: string): Promise<Machine> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return {
    cpu: model,
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: postgresVersion,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    loadAverage: os.loadavg()[0] ?? NaN,
  };
}

export function machineMarkdown(m: Machine): string {
  return [
    `Measured ${m.date} on:`,
    "",
    `- CPU: ${m.cpu}, ${m.cores} cores available to Node`,
    `- Memory: ${m.memoryGiB} GiB`,
    `- Node ${m.node}, PostgreSQL ${m.postgres}`,
    `- ${m.os}`,
    `- 1-minute load average when the run began: ${m.loadAverage.toFixed(2)} (anything else running on these cores skews the numbers)`,
  ].join("\n");
}

const GENERATED_START = "<!-- bench:generated:start -->";
const GENERATED_END = "<!-- bench:generated:end -->";
const block = (id: string) => [`<!-- bench:${id}:start -->`, `<!-- bench:${id}:end -->`] as const;

const PREAMBLE = [
  "# Benchmarks",
  "",
  "`npm run bench` (all) or `npm run bench -- dashboard engine` (some) measures the app in-process",
  "against a fresh PostgreSQL database per benchmark and rewrites the generated part of this file.",
  "Everything outside the `bench:generated` markers is hand-written and kept.",
  "",
].join("\n");

/** Replaces the blocks of the benchmarks that ran (and the machine block), keeping the others. */
export async function writeBenchmarksFile(path: string, machine: Machine, results: readonly BenchResult[], order: readonly string[]) {
  const previous = await readFile(path, "utf8").catch(() => "");
  const start = previous.indexOf(GENERATED_START);
  const end = previous.indexOf(GENERATED_END);
  const hasSection = start !== -1 && end > start;
  const before = hasSection ? previous.slice(0, start) : previous || PREAMBLE;
  const after = hasSection ? previous.slice(end + GENERATED_END.length) : "\n";
  const inner = hasSection ? previous.slice(start + GENERATED_START.length, end) : "";

  const blocks = new Map<string, string>();
  for (const id of ["machine", ...order]) {
    const [open, close] = block(id);
    const from = inner.indexOf(open);
    const to = inner.indexOf(close);
    if (from !== -1 && to > from) blocks.set(id, inner.slice(from + open.length, to).trim());
  }
  blocks.set("machine", machineMarkdown(machine));
  for (const r of results) {
    const load = r.loadAverage === undefined ? "" : `, 1-minute load average ${r.loadAverage.toFixed(2)} before it began`;
    blocks.set(r.id, `## ${r.title}\n\n_Last run: ${machine.date}${load}._\n\n${r.markdown.trim()}`);
  }

  const body = ["machine", ...order]
    .filter((id) => blocks.has(id))
    .map((id) => {
      const [open, close] = block(id);
      return `${open}\n${blocks.get(id)}\n${close}`;
    })
    .join("\n\n");
  await writeFile(path, `${before.trimEnd()}\n\n${GENERATED_START}\n${body}\n${GENERATED_END}\n${after.trimStart() ? `\n${after.trimStart()}` : ""}`);
}
