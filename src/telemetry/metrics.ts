// Prometheus metrics (prom-client), one registry per app (tests start several apps in one
// process). What is counted on a hot path (a step's outcome, a published or delivered event) is a
// plain number incremented in place and handed to prom-client only when /metrics is scraped:
// prom-client's own inc() hashes its labels and allocates on every call.
import type pg from "pg";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type EngineObserver, STEP_OUTCOMES, type StepOutcome } from "../engine/observer.ts";

export const METRICS_PREFIX = "stepstream_";

/** Operation names are chosen by clients: past this many distinct ones, the rest count as "other". */
const MAX_OPERATION_NAMES = 200;

const OUTCOME_INDEX = Object.fromEntries(STEP_OUTCOMES.map((outcome, i) => [outcome, i])) as Record<StepOutcome, number>;

export type RequestSample = {
  /** The operation's name, "anonymous", or "-" for a request that ran none (a plain route). */
  operation: string;
  /** query, mutation, subscription, or "-". */
  type: string;
  /** The HTTP status, or "ws" for a query or mutation over graphql-ws. */
  status: number | "ws";
  durationMs: number;
};

export type Metrics = {
  readonly registry: Registry;
  /** Passed to the runner: step outcomes and run durations. */
  readonly engine: EngineObserver;
  request(sample: RequestSample): void;
  /** Events the engine committed and published (per commit, not per subscriber). */
  published(events: readonly { at: Date }[]): void;
  /** A payload sent to one subscriber. */
  delivered(): void;
  /** A subscription started (+1) or ended (-1). */
  subscriptions(delta: 1 | -1): void;
  /** A subscriber fell too far behind (topic kind: execution or tenant). */
  overflowed(topic: string): void;
  /** A job started this long after it was due. */
  jobStarted(task: string, lagMs: number): void;
  /** Reports this pool's connections on every scrape. */
  trackPool(name: string, pool: Pick<pg.Pool, "totalCount" | "idleCount" | "waitingCount">): void;
  /** Reports the open WebSockets on every scrape. */
  trackSockets(count: () => number): void;
  /** The text format for a scrape. */
  scrape(): Promise<{ contentType: string; body: string }>;
};

/** `processMetrics`: also prom-client's default process metrics (CPU, memory, event loop lag, GC). */
export function createMetrics(options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Off in tests: each app in a test process would add its own GC observer and event loop monitor.
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  const registers = [registry];

  const stepCounts = new Map<string, Float64Array>();
  const workerLosses = new Map<string, number>();
  let published = 0;
  let delivered = 0;
  let activeSubscriptions = 0;
  const overflows = { execution: 0, tenant: 0 };
  const pools = new Map<string, Pick<pg.Pool, "totalCount" | "idleCount" | "waitingCount">>();
  let sockets: () => number = () => 0;
  const operations = new Set<string>();

  const requestDuration = new Histogram({
    name: `${METRICS_PREFIX}graphql_request_duration_seconds`,
    help: "Requests by GraphQL operation name and type and HTTP status (ws: a query or mutation over graphql-ws); not subscriptions",
    labelNames: ["operation", "type", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const runDuration = new Histogram({
    name: `${METRICS_PREFIX}run_duration_seconds`,
    help: "Executions a worker of this process finished, or this process cancelled after they started, by status, from their first start",
    labelNames: ["status"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 86_400],
    registers,
  });
  // Where subscription latency starts: a run's buffer holds its events until a commit point (pure
  // steps share one), so an event can be old before any subscriber could see it.
  const commitDelay = new Histogram({
    name: `${METRICS_PREFIX}event_commit_delay_seconds`,
    help: "From an event's time (its at) to its commit and publication by this process: how long the engine held it",
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const queueLag = new Histogram({
    name: `${METRICS_PREFIX}queue_lag_seconds`,
    help: "How long after it was due a job started (run, wake-up, retry), by task",
    labelNames: ["task"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  new Counter({
    name: `${METRICS_PREFIX}steps_total`,
    help: "Step outcomes by action type: completed, failed, skipped, retrying, cancelled (by the run's end), worker_lost",
    labelNames: ["type", "outcome"],
    registers,
    collect() {
      this.reset();
      for (const [type, row] of stepCounts) {
        for (const outcome of STEP_OUTCOMES) {
          const value = row[OUTCOME_INDEX[outcome]] as number;
          if (value > 0) this.inc({ type, outcome }, value);
        }
      }
    },
  });
  new Counter({
    name: `${METRICS_PREFIX}worker_losses_total`,
    help: "Step attempts run again because the worker running them died (ENGINE_MAX_WORKER_LOSSES bounds it), by action type",
    labelNames: ["type"],
    registers,
    collect() {
      this.reset();
      for (const [type, value] of workerLosses) this.inc({ type }, value);
    },
  });
  new Counter({
    name: `${METRICS_PREFIX}events_published_total`,
    help: "Execution events this process committed and published",
    registers,
    collect() {
      this.reset();
      if (published > 0) this.inc(published);
    },
  });
  new Counter({
    name: `${METRICS_PREFIX}events_delivered_total`,
    help: "Subscription payloads sent to subscribers (SSE and WebSocket), one per subscriber",
    registers,
    collect() {
      this.reset();
      if (delivered > 0) this.inc(delivered);
    },
  });
  new Counter({
    name: `${METRICS_PREFIX}subscription_overflows_total`,
    help: "Subscribers that fell more than 1,000 events behind, by topic (execution: replaced from the database; tenant: ended)",
    labelNames: ["topic"],
    registers,
    collect() {
      this.reset();
      for (const [topic, value] of Object.entries(overflows)) if (value > 0) this.inc({ topic }, value);
    },
  });
  new Gauge({
    name: `${METRICS_PREFIX}active_subscriptions`,
    help: "GraphQL subscriptions open now (SSE and WebSocket)",
    registers,
    collect() {
      this.set(activeSubscriptions);
    },
  });
  new Gauge({
    name: `${METRICS_PREFIX}websocket_connections`,
    help: "Open graphql-ws connections",
    registers,
    collect() {
      this.set(sockets());
    },
  });
  new Gauge({
    name: `${METRICS_PREFIX}db_pool_connections`,
    help: "Connections of each PostgreSQL pool of this process: total (open), idle, and waiting (requests queued for one)",
    labelNames: ["pool", "state"],
    registers,
    collect() {
      for (const [pool, p] of pools) {
        this.set({ pool, state: "total" }, p.totalCount);
        this.set({ pool, state: "idle" }, p.idleCount);
        this.set({ pool, state: "waiting" }, p.waitingCount);
      }
    },
  });

  const engine: EngineObserver = {
    step(type, outcome) {
      let row = stepCounts.get(type);
      if (!row) stepCounts.set(type, (row = new Float64Array(STEP_OUTCOMES.length)));
      const i = OUTCOME_INDEX[outcome];
      row[i] = (row[i] as number) + 1;
      if (outcome === "worker_lost") workerLosses.set(type, (workerLosses.get(type) ?? 0) + 1);
    },
    run(status, durationMs) {
      runDuration.observe({ status }, durationMs / 1000);
    },
  };

  return {
    registry,
    engine,
    request({ operation, type, status, durationMs }) {
      let name = operation;
      if (!operations.has(name)) {
        if (operations.size >= MAX_OPERATION_NAMES) name = "other";
        else operations.add(name);
      }
      requestDuration.observe({ operation: name, type, status: String(status) }, durationMs / 1000);
    },
    published(events) {
      published += events.length;
      const now = Date.now();
      // No labels: an observation is a bucket search and two additions.
      for (const event of events) commitDelay.observe(Math.max(0, now - event.at.getTime()) / 1000);
    },
    delivered() {
      delivered += 1;
    },
    subscriptions(delta) {
      activeSubscriptions += delta;
    },
    overflowed(topic) {
      if (topic.startsWith("tenant:")) overflows.tenant += 1;
      else overflows.execution += 1;
    },
    jobStarted(task, lagMs) {
      queueLag.observe({ task }, Math.max(0, lagMs) / 1000);
    },
    trackPool(name, pool) {
      pools.set(name, pool);
    },
    trackSockets(count) {
      sockets = count;
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
