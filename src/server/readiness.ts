// /healthz says the process is alive (yoga's health check); /readyz whether it can do its work:
// the database answers, every migration of this checkout is applied, and the worker runs where
// one is configured. 503 with the failing checks otherwise, for a load balancer to route around.
import { type Plugin, useReadinessCheck } from "graphql-yoga";

export const HEALTH_PATH = "/healthz";
export const READY_PATH = "/readyz";

export type ReadinessProbes = {
  /** Resolves when the database answers (a trivial query); rejects otherwise. */
  ping(): Promise<unknown>;
  pendingMigrations(): Promise<number>;
  /** null when this process runs no worker. */
  worker: { readonly running: boolean } | null;
};

const TIMEOUT_MS = 2_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function readiness(probes: ReadinessProbes): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = {};
  try {
    await within(probes.ping(), TIMEOUT_MS);
    checks.database = "ok";
    const pending = await within(probes.pendingMigrations(), TIMEOUT_MS);
    checks.migrations = pending === 0 ? "ok" : `${pending} pending`;
  } catch {
    checks.database = "unreachable";
    checks.migrations = "unknown";
  }
  checks.worker = probes.worker === null ? "not configured" : probes.worker.running ? "ok" : "stopped";
  const ready = checks.database === "ok" && checks.migrations === "ok" && checks.worker !== "stopped";
  return { ready, checks };
}

export function readinessPlugin(probes: ReadinessProbes): Plugin {
  return useReadinessCheck({
    endpoint: READY_PATH,
    check: async ({ fetchAPI }) => {
      const { ready, checks } = await readiness(probes);
      return new fetchAPI.Response(JSON.stringify({ status: ready ? "ready" : "unavailable", checks }), {
        status: ready ? 200 : 503,
        headers: { "content-type": "application/json", "cache-control": "no-store" },
      });
    },
  });
}
