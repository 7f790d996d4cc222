// A V8 CPU profile of this process over a measured window (node:inspector, the same sampler as
// --cpu-prof), reduced to self time per place: app directory, npm package, Prisma's Wasm query
// compiler, garbage collection, idle. Sampling costs a few percent; `--no-profile` turns it off.
import { Session } from "node:inspector/promises";
import { writeFile } from "node:fs/promises";
import path from "node:path";

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type CpuProfileSummary = {
  /** Sampled milliseconds, idle included. */
  totalMs: number;
  /** Share of non-idle time per place, biggest first. */
  places: { place: string; share: number }[];
  /** Share of non-idle time per function (top 12). */
  functions: { name: string; share: number }[];
  /** Share of the window the main thread was busy. */
  busy: number;
};

function placeOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === "(garbage collector)") return "garbage collection";
    if (functionName === "(idle)") return "(idle)";
    return "V8/native (I/O, JSON, buffers)";
  }
  if (url.startsWith("wasm://")) return "Prisma query compiler (Wasm)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg === ".prisma" ? "@prisma/client" : pkg;
  const src = /\/(src|bench)\/(?:([^/]+)\/)?/.exec(url);
  if (src) return `${src[1]}/${src[2] && !src[2].includes(".") ? `${src[2]}/` : ""}`;
  if (url.startsWith("node:")) return "node: internals";
  return url;
}

export type CpuProfiler = { stop(): Promise<CpuProfileSummary> };

export type ProfileOptions = {
  enabled: boolean;
  /** Also write each window's raw .cpuprofile here (open it in Chrome DevTools). */
  saveDir?: string;
};

/** Starts sampling; null when profiling is off. `name` names the saved file. */
export async function startCpuProfile(options: ProfileOptions, name: string): Promise<CpuProfiler | null> {
  if (!options.enabled) return null;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
      await session.post("Profiler.disable");
      session.disconnect();
      if (options.saveDir) await writeFile(path.join(options.saveDir, `${name}.cpuprofile`), JSON.stringify(profile));
      return summarizeProfile(profile);
    },
  };
}

export function summarizeProfile(profile: Profile): CpuProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    // The first sample's delta is the time from Profiler.start to the first tick, charged to the
    // inspector's native `dispatch` frame: not work (it was 15–30 % of every short window).
    if (i === 0) return;
    const us = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)?.callFrame;
    total += us;
    if (!frame) return;
    const place = placeOf(frame.url, frame.functionName);
    if (place === "(idle)") {
      idle += us;
      return;
    }
    places.set(place, (places.get(place) ?? 0) + us);
    const name = `${frame.functionName || "(anonymous)"} [${place}]`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  const busyUs = total - idle;
  const shares = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / (busyUs || 1)] as const);
  return {
    totalMs: total / 1000,
    busy: busyUs / (total || 1),
    places: shares(places).map(([place, share]) => ({ place, share })),
    functions: shares(functions)
      .slice(0, 12)
      .map(([name, share]) => ({ name, share })),
  };
}

/** "Prisma query compiler (Wasm) 31%, @prisma/client 22%, ..." for places above `min`. */
export function formatPlaces(summary: CpuProfileSummary, min = 0.02): string {
  const shown = summary.places.filter((p) => p.share >= min);
  const rest = summary.places.filter((p) => p.share < min).reduce((s, p) => s + p.share, 0);
  return [...shown.map((p) => `${p.place} ${Math.round(p.share * 100)}%`), `other ${Math.round(rest * 100)}%`].join(", ");
}
