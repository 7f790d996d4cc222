// Child process: `concurrency` keep-alive clients POST one GraphQL request back to back, first for
// `warmupMs` (not recorded), then for `durationMs`, recording each request's latency. Node's fetch
// (undici) keeps connections alive and opens at most one per request in flight, so `concurrency`.
import { serveChild } from "../child.ts";

export type HttpLoadRequest = {
  url: string;
  body: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on requests in the measured phase, whatever the duration. */
  maxRequests: number;
};

export type HttpLoadDone = {
  type: "done";
  latenciesMs: number[];
  failed: number;
  firstFailure: string | null;
  measuredMs: number;
  cpuMs: number;
};

serveChild<HttpLoadRequest>(async (req, send) => {
  const latenciesMs: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const startedAt = process.hrtime.bigint();
  const measureFrom = startedAt + BigInt(req.warmupMs) * 1_000_000n;
  const measureUntil = measureFrom + BigInt(req.durationMs) * 1_000_000n;
  let measuring = false;
  let cpu = process.cpuUsage();
  let lastDone = measureFrom;

  async function client() {
    for (;;) {
      const sent = process.hrtime.bigint();
      if (sent >= measureUntil || latenciesMs.length + failed >= req.maxRequests) return;
      if (!measuring && sent >= measureFrom) {
        measuring = true;
        cpu = process.cpuUsage();
        send({ type: "measuring" });
      }
      let problem: string | null = null;
      try {
        const res = await fetch(req.url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
          body: req.body,
        });
        const text = await res.text();
        // A cheap check: parsing 50 KB per response would make the client the bottleneck.
        if (res.status !== 200 || text.startsWith('{"errors"') || text.includes('"errors":[')) problem = `${res.status} ${text.slice(0, 300)}`;
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
      const done = process.hrtime.bigint();
      if (sent < measureFrom) continue;
      lastDone = done > lastDone ? done : lastDone;
      if (problem) {
        failed += 1;
        firstFailure ??= problem;
      } else {
        latenciesMs.push(Number(done - sent) / 1e6);
      }
    }
  }

  await Promise.all(Array.from({ length: req.concurrency }, client));
  const used = process.cpuUsage(cpu);
  const result: HttpLoadDone = {
    type: "done",
    latenciesMs,
    failed,
    firstFailure,
    measuredMs: Number(lastDone - measureFrom) / 1e6,
    cpuMs: (used.user + used.system) / 1000,
  };
  return result;
});
