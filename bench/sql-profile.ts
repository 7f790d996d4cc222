// Where the time goes: SQL statements the app ran (counted and timed through createApp's onQuery,
// grouped by kind), and CPU used by this process and by PostgreSQL (read from /proc) over a window.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

export type SqlWindow = { count: number; dbMs: number; byKind: Record<string, number> };

export type SqlRecorder = {
  record: (sql: string, durationMs: number) => void;
  /** Starts a new window (counts since the last reset). */
  reset(): void;
  snapshot(): SqlWindow;
};

/** BEGIN, COMMIT, SELECT, INSERT, UPDATE ... from the statement's first keyword. */
export function statementKind(sql: string): string {
  // The engine's store tags its statements (each one on its own is a whole transaction, except cancel's).
  const tag = /^\s*\/\*\s*((?:engine|list-changes):[a-z-]+)\s*\*\//.exec(sql)?.[1];
  if (tag) return tag;
  const word = /^\s*(?:\/\*.*?\*\/\s*)*([A-Za-z]+)/s.exec(sql)?.[1]?.toUpperCase() ?? "OTHER";
  if (word === "START") return "BEGIN";
  if (word === "SELECT" && /graphile_worker\.add_job/.test(sql)) return "SELECT add_job";
  if (word === "UPDATE" && /"leaseOwner"/.test(sql)) return "UPDATE lease";
  return word;
}

export function createSqlRecorder(): SqlRecorder {
  let count = 0;
  let dbMs = 0;
  let byKind = new Map<string, number>();
  return {
    record(sql, durationMs) {
      count += 1;
      dbMs += durationMs;
      const kind = statementKind(sql);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    },
    reset() {
      count = 0;
      dbMs = 0;
      byKind = new Map();
    },
    snapshot: () => ({ count, dbMs, byKind: Object.fromEntries([...byKind].sort((a, b) => b[1] - a[1])) }),
  };
}

/** "per step: UPDATE 5.50, INSERT 3.60, ..." (biggest first). */
export function formatKinds(byKind: Record<string, number>, per: number, unit: string): string {
  const kinds = Object.entries(byKind).sort((a, b) => b[1] - a[1]);
  return `per ${unit}: ${kinds.map(([kind, n]) => `${kind} ${(n / per).toFixed(2)}`).join(", ")}`;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/**
 * CPU milliseconds used so far by every process named `postgres`, plus what the postmaster has
 * reaped from backends that already exited. Whole server (other databases too); NaN if /proc is
 * unreadable. Synchronous on purpose: under load, hundreds of async reads would each wait for a
 * turn of the saturated event loop and start the window seconds late.
 */
export function postgresCpuMs(): number {
  try {
    let total = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat = "";
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // the process ended meanwhile
      }
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      const fields = stat.slice(close + 2).split(" ");
      // fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17.
      const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
      total += (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0);
    }
    return total * TICK_MS;
  } catch {
    return NaN;
  }
}

export type CpuWindow = { wallMs: number; nodeMs: number; postgresMs: number; cores: number };

/** Starts measuring; the returned function ends the window. */
export function startCpuWindow(): () => CpuWindow {
  const wall = process.hrtime.bigint();
  const node = process.cpuUsage();
  const pgStart = postgresCpuMs();
  return () => {
    const used = process.cpuUsage(node);
    return {
      wallMs: Number(process.hrtime.bigint() - wall) / 1e6,
      nodeMs: (used.user + used.system) / 1000,
      postgresMs: postgresCpuMs() - pgStart,
      cores: os.availableParallelism(),
    };
  };
}

/** "app 95% of a core, PostgreSQL 60% (of 2 cores: 78% busy)". */
export function formatCpu(w: CpuWindow, extra: { label: string; ms: number }[] = []): string {
  const pct = (ms: number) => `${Math.round((ms / w.wallMs) * 100)}%`;
  const parts = [`app process ${pct(w.nodeMs)}`, `PostgreSQL ${pct(w.postgresMs)}`, ...extra.map((e) => `${e.label} ${pct(e.ms)}`)];
  const busy = (w.nodeMs + w.postgresMs + extra.reduce((s, e) => s + e.ms, 0)) / (w.wallMs * w.cores);
  return `${parts.join(", ")} of one core; all ${w.cores} cores ${Math.round(busy * 100)}% busy`;
}
