// (b) Commit-to-delivery latency at graphql-ws subscribers of executionEvents: 1,000 subscribers
// on one execution, 1,000 spread over 100 and 10,000 over 100. Each run first sleeps in a `delay`
// step (the gate) while the subscribers connect and catch up; the fast steps after it produce the
// live events. Latency = receive time − the event's commit (seen from outside the app by
// clients/commit-observer.ts), and receive time − its `at` (written with the event, same machine
// clock: this includes the time the engine held it before the commit). The sockets are spread
// over client processes of at most CLIENTS_PER_PROCESS each, so that the clients' own event loops
// are not what is measured.
import net from "node:net";
import { createBenchWorkflow, rowId, startBenchRun } from "./api.ts";
import { runChild } from "./child.ts";
import type { WsProgress, WsSubscribersDone, WsSubscribersRequest } from "./clients/ws-subscribers.ts";
import type { CommitObserverDone, CommitObserverRequest } from "./clients/commit-observer.ts";
import type { BaselineEvent, WsBaselineDone, WsBaselineListening, WsBaselineRequest } from "./subscriptions-baseline.ts";
import { type BenchApp, type BenchEnv, waitFor, withBenchApp } from "./harness.ts";
import { profileLines, startMeasurement, type Measurement } from "./measure.ts";
import { type BenchResult, fmt, fmtInt, type Summary, summarize, table } from "./report.ts";
import { formatCpu } from "./sql-profile.ts";
import { histogramSnapshot, type HistogramSnapshot, quantileMs, scrapedHistogram } from "./histogram.ts";
import { freePort } from "../test/support/process.ts";
import { startWorkerProcess } from "./worker-process.ts";
import { withApiProcesses } from "./api-processes.ts";

/** The app's histogram of how long the engine held an event before its commit (README "Metrics"). */
const COMMIT_DELAY = "stepstream_event_commit_delay_seconds";

/**
 * `workerApart`: the engine in a worker process of its own, events over Redis (README "Production
 * setup"); `apiProcesses`: the subscribers served by that many API processes on one port instead.
 */
type Scenario = { executions: number; subscribers: number; workerApart?: boolean; apiProcesses?: number };
const SCENARIOS: readonly Scenario[] = [
  { executions: 1, subscribers: 1000 },
  { executions: 100, subscribers: 1000 },
  { executions: 100, subscribers: 10_000 },
  { executions: 100, subscribers: 10_000, workerApart: true },
  { executions: 100, subscribers: 10_000, workerApart: true, apiProcesses: 2 },
];
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const label = (s: Scenario) =>
  `${fmtInt(s.subscribers)} on ${s.executions}${s.workerApart ? ", worker apart" : ""}${s.apiProcesses ? `, ${s.apiProcesses} API processes` : ""}`;

/** Whether something listens at the Redis URL's host and port. */
function redisReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
const CLIENTS_PER_PROCESS = 2_500;
// Above the delay action's 5 s in-process limit, so the gate sleeps without holding a worker slot.
const GATE_MS = 12_000;
/** More subscribers take longer to connect and replay: 12 s for 1,000, 65 s for 10,000 (45 s was sometimes too short). */
const gateMs = (subscribers: number) => Math.max(GATE_MS, 5_000 + subscribers * 6);
const TARGET_P99_MS = 50;
const CONNECT_BATCH = 100;
/** The measured window opens this long before the first gate is due (progress arrives every 100 ms). */
const WINDOW_LEAD_MS = 150;
/** The commit observer's pause between its reads: an event's commit time is known within about this plus a read. */
const OBSERVE_GAP_MS = 5;

const fast = (id: string, dependsOn: string[]) => ({ id, type: "transform", config: { output: "{{input.n}}" }, dependsOn });
const layer = (name: string, after: string) => [1, 2, 3, 4, 5].map((i) => fast(`${name}${i}`, [after]));

/** gate (sleeps) → 4 batches of 5 transforms: ~50 live events per run. */
export const GATED_WORKFLOW = {
  steps: [
    { id: "gate", type: "delay", config: { ms: "{{input.gateMs}}" } },
    ...layer("a", "gate"),
    ...layer("b", "a1"),
    ...layer("c", "b1"),
    ...layer("d", "c1"),
  ],
};

async function subscriptionsAvailable(bench: BenchApp): Promise<boolean> {
  const data = await bench.graphql<{ __type: { fields: { name: string }[] } | null }>(`{ __type(name: "Subscription") { fields { name } } }`);
  return data.__type?.fields.some((f) => f.name === "executionEvents") ?? false;
}

type ScenarioResult = Scenario & {
  latency: Summary;
  /** Receive time − commit time (as seen by bench/clients/commit-observer.ts), for the deliveries whose commit it saw. */
  fromCommit: Summary;
  /** Deliveries without a commit time (committed before the observer's first read). */
  withoutCommit: number;
  /** Mean width of the window each commit time is known within. */
  commitWindowMs: number;
  expected: number;
  delivered: number;
  readyMarginMs: number;
  connectMs: number;
  failed: number;
  runsCompleted: number;
  firstError: string | null;
  measurement: Measurement;
  clientCpuMs: number;
  clientProcesses: number;
  liveEvents: number;
  /** SQL statements from readyAt (every subscriber caught up) to the last delivery. */
  sqlFromReady: number;
  /** How long the engine held the live events before their commit (estimated from the app's histogram); null: no metrics. */
  commitDelay: { p50: number | null; p99: number | null } | null;
  /** From the first live event's `at` to the last one's: how bursty the engine wrote them. */
  writtenMs: number;
  /** From the first live event's `at` to the last delivery. */
  deliveredMs: number;
  /** The live events as written (execution, sequence, time after the first), for the baseline to play back. */
  schedule: BaselineEvent[];
};

type BaselineResult = { latency: Summary; delivered: number; expected: number; failed: number; cpuMs: number; clientCpuMs: number };

/** Subscriber i watches subscribers[i]; process p takes every processes-th of them, so each watches every execution. */
function sharesOf(subscribers: string[]): string[][] {
  const processes = Math.ceil(subscribers.length / CLIENTS_PER_PROCESS);
  return Array.from({ length: processes }, (_, p) => subscribers.filter((_, i) => i % processes === p));
}

async function runScenario(env: BenchEnv, scenario: Scenario): Promise<ScenarioResult | "unavailable"> {
  // Introspection (off in production) answers whether the schema has the subscription at all.
  // METRICS_TOKEN: the app's metrics on (as in production), for the engine's commit delay.
  const token = "bench-only-metrics-token";
  const settings = { GRAPHQL_INTROSPECTION: "true", METRICS_TOKEN: token };
  const apart: Record<string, string> = scenario.workerApart ? { RUN_WORKER: "false", REDIS_URL } : {};
  return withBenchApp(env, { ...settings, ...apart }, async (bench) => {
    if (!(await subscriptionsAvailable(bench))) return "unavailable";
    // A worker apart serves its own metrics (METRICS_PORT): its commit delay is read from there.
    const metricsPort = scenario.workerApart ? await freePort() : null;
    const worker = metricsPort
      ? await startWorkerProcess(bench.databaseUrl, { REDIS_URL, METRICS_TOKEN: token, METRICS_PORT: String(metricsPort) })
      : null;
    const commitDelay: CommitDelay = metricsPort
      ? () => scrapedHistogram(`http://127.0.0.1:${metricsPort}/metrics`, token, COMMIT_DELAY)
      : () => histogramSnapshot(bench.app.metricsRegistry, COMMIT_DELAY);
    try {
      if (!scenario.apiProcesses) return await measureScenario(env, scenario, bench, bench.url, commitDelay);
      const measure = (url: string) => measureScenario(env, scenario, bench, url, commitDelay);
      return await withApiProcesses(scenario.apiProcesses, bench.databaseUrl, measure, REDIS_URL);
    } finally {
      worker?.kill("SIGTERM");
    }
  });
}

/** Where the engine's commit delay histogram is read: the app in this process, or a worker apart. */
type CommitDelay = () => Promise<HistogramSnapshot | null>;

/** `graphqlUrl`: where the subscribers connect (this process's app, or API processes of their own). */
async function measureScenario(
  env: BenchEnv,
  scenario: Scenario,
  bench: BenchApp,
  graphqlUrl: string,
  commitDelayNow: CommitDelay,
): Promise<ScenarioResult> {
  const workflow = await createBenchWorkflow(bench, "bench-gated", GATED_WORKFLOW);
  const ids = await Promise.all(Array.from({ length: scenario.executions }, (_, n) => startBenchRun(bench, workflow.globalId, { n, gateMs: gateMs(scenario.subscribers) })));
  const rows = ids.map(rowId);
  // Every gate asleep: nothing more happens before it wakes, so these sequences are final until then.
  const asleep = await waitFor(
    "every gate step to sleep",
    async () => {
      const { rows: r } = await bench.pg.query<{ id: string; seq: number; wake: Date }>(
        `SELECT e.id, e."lastEventSequence" AS seq, s."wakeAt" AS wake FROM "Execution" e
         JOIN "Step" s ON s."executionId" = e.id AND s.key = 'gate' AND s.status = 'RUNNING' AND s."wakeAt" IS NOT NULL
         WHERE e.id = ANY($1::uuid[])`,
        [rows],
      );
      return r.length === rows.length ? r : undefined;
    },
    { timeoutMs: 30_000, signal: env.signal },
  );
  const caughtUp = new Map(asleep.map((r) => [r.id, r.seq]));
  const firstWake = Math.min(...asleep.map((r) => r.wake.getTime()));
  const observer = observeCommits(env, bench.databaseUrl, rows, gateMs(scenario.subscribers) + 120_000);
  try {
    await observer.ready;
    return await measureFromReady(env, scenario, bench, graphqlUrl, { ids, rows, caughtUp, firstWake, observer, commitDelayNow });
  } finally {
    // Stops it on a failure too (after a normal end it has stopped already).
    await observer.finish().catch(() => {});
  }
}

type Prepared = {
  ids: string[];
  rows: string[];
  caughtUp: Map<string, number>;
  firstWake: number;
  observer: ReturnType<typeof observeCommits>;
  commitDelayNow: CommitDelay;
};

/** Connects the subscribers, lets the gates wake, and measures the live events' deliveries. */
async function measureFromReady(env: BenchEnv, scenario: Scenario, bench: BenchApp, graphqlUrl: string, prepared: Prepared): Promise<ScenarioResult> {
  const { ids, rows, caughtUp, firstWake, observer, commitDelayNow } = prepared;

  const subscribers = Array.from({ length: scenario.subscribers }, (_, i) => ids[i % ids.length] as string);
  const shares = sharesOf(subscribers);
  const processes = shares.length;
  const progress: (WsProgress | undefined)[] = shares.map(() => undefined);
  const senders: ((m: unknown) => void)[] = [];
  const wsUrl = graphqlUrl.replace(/^http/, "ws");
  const connectStarted = Date.now();
  let readyAt = 0;
  let sqlAtReady = 0;
  let commitDelayAtReady: Promise<HistogramSnapshot | null> = Promise.resolve(null);
  let sqlBeforeWindow = 0;
  let clientCpuBeforeWindow = 0;
  let endMeasurement: (() => Promise<Measurement>) | undefined;
  const onProgress = () => {
    if (progress.some((p) => p === undefined)) return;
    const all = progress as WsProgress[];
    const connected = all.reduce((n, p) => n + p.connected, 0);
    const settled = all.reduce((n, p) => n + p.completed + p.errors, 0);
    const errors = all.reduce((n, p) => n + p.errors, 0);
    // Over the processes that have subscribers of the execution (not every process has each).
    const lowest = (id: string) =>
      Math.min(...all.flatMap((p) => (p.minSequence[id] === undefined ? [] : [p.minSequence[id] as number])));
    const seen = (i: number) => lowest(ids[i] as string) - (caughtUp.get(rows[i] as string) ?? 0);
    if (!readyAt && connected >= scenario.subscribers && ids.every((_, i) => seen(i) >= 0)) {
      readyAt = Date.now();
      sqlAtReady = bench.sql.snapshot().count;
      commitDelayAtReady = commitDelayNow();
    }
    // The window (SQL, CPU, profile) starts when the first gate is due, not during its sleep. (Not
    // when every subscriber has had a live event: the server serves a burst subscriber after
    // subscriber, so that moment may come after most of the delivery.)
    if (readyAt && !endMeasurement && Date.now() >= firstWake - WINDOW_LEAD_MS) {
      // A slow delivery starts the window after the engine's commits: statements per event
      // count from readyAt (the recorder is reset by startMeasurement).
      sqlBeforeWindow = bench.sql.snapshot().count - sqlAtReady;
      clientCpuBeforeWindow = all.reduce((n, p) => n + p.cpuMs, 0);
      endMeasurement = startMeasurement(bench, env, `subscriptions-${scenario.executions}x${scenario.subscribers}${scenario.workerApart ? "-worker-apart" : ""}${scenario.apiProcesses ? `-${scenario.apiProcesses}-api` : ""}`);
    }
    if (errors > 0 && settled >= scenario.subscribers) for (const send of senders) send({ type: "finish" });
  };
  const results = await Promise.all(
    shares.map((share, p) => {
      const request: WsSubscribersRequest = { wsUrl, subscribers: share, connectBatch: CONNECT_BATCH };
      return runChild<WsSubscribersDone>(new URL("./clients/ws-subscribers.ts", import.meta.url), request, {
        timeoutMs: gateMs(scenario.subscribers) + 120_000,
        signal: env.signal,
        onMessage: (m, send) => {
          senders[p] = send;
          if (m.type !== "progress") return;
          progress[p] = m as unknown as WsProgress;
          onProgress();
        },
      });
    }),
  );
  const done = {
    atMs: results.flatMap((r) => r.atMs),
    receivedMs: results.flatMap((r) => r.receivedMs),
    errors: results.reduce((n, r) => n + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError ?? null,
    cpuMs: results.reduce((n, r) => n + r.cpuMs, 0),
  };
  if (!readyAt || !endMeasurement) {
    throw new Error(
      `no live events reached the subscribers once all were connected and caught up (${done.errors} errors: ` +
        `${done.firstError}); connecting may take longer than the gate on a loaded machine`,
    );
  }
  const measurement = await endMeasurement();
  const commits = await observer.finish();
  const [delayBefore, delayAfter] = await Promise.all([commitDelayAtReady, commitDelayNow()]);
  const commitDelay =
    delayBefore && delayAfter ? { p50: quantileMs(delayBefore, delayAfter, 0.5), p99: quantileMs(delayBefore, delayAfter, 0.99) } : null;

  const { rows: finals } = await bench.pg.query<{ id: string; seq: number; status: string }>(
    `SELECT id, "lastEventSequence" AS seq, status::text FROM "Execution" WHERE id = ANY($1::uuid[])`,
    [rows],
  );
  const liveEvents = finals.reduce((n, r) => n + r.seq - (caughtUp.get(r.id) ?? 0), 0);
  const perExecution = scenario.subscribers / scenario.executions;
  const latencies: number[] = [];
  const fromCommit: number[] = [];
  let withoutCommit = 0;
  // When each live event committed: after `after` (the observer's read that did not show it yet was sent).
  const committedAt = new Map<string, number>();
  let commitWindows = 0;
  for (const [i, from, to, after, before] of commits.sightings) {
    commitWindows += before - after;
    for (let sequence = from + 1; sequence <= to; sequence += 1) committedAt.set(`${ids[i]}:${sequence}`, after);
  }
  let firstAt = Number.POSITIVE_INFINITY;
  let lastAt = 0;
  let lastReceived = 0;
  const written = new Map<string, { execution: string; sequence: number; at: number }>();
  results.forEach((r, p) => {
    const executionsOf = [...new Set(shares[p])];
    for (let i = 0; i < r.atMs.length; i += 1) {
      const at = r.atMs[i] as number;
      if (at < readyAt) continue;
      const received = r.receivedMs[i] as number;
      latencies.push(received - at);
      firstAt = Math.min(firstAt, at);
      lastAt = Math.max(lastAt, at);
      lastReceived = Math.max(lastReceived, received);
      const execution = executionsOf[r.executionIndex[i] as number] as string;
      const sequence = r.sequence[i] as number;
      const commit = committedAt.get(`${execution}:${sequence}`);
      if (commit === undefined) withoutCommit += 1;
      else fromCommit.push(received - commit);
      written.set(`${execution}:${sequence}`, { execution, sequence, at: commit ?? at });
    }
  });
  return {
    ...scenario,
    latency: summarize(latencies),
    fromCommit: summarize(fromCommit),
    withoutCommit,
    commitWindowMs: commitWindows / Math.max(1, commits.sightings.length),
    expected: liveEvents * perExecution,
    delivered: latencies.length,
    readyMarginMs: firstWake - readyAt,
    connectMs: readyAt - connectStarted,
    failed: done.errors,
    runsCompleted: finals.filter((r) => r.status === "COMPLETED").length,
    firstError: done.firstError,
    measurement,
    clientCpuMs: done.cpuMs - clientCpuBeforeWindow,
    clientProcesses: processes,
    liveEvents,
    sqlFromReady: sqlBeforeWindow + measurement.sql.count,
    commitDelay,
    writtenMs: lastAt - firstAt,
    deliveredMs: lastReceived - firstAt,
    schedule: scheduleOf([...written.values()]),
  };
}

/** The events at their commit times (their `at` where unknown), relative to the first. */
function scheduleOf(events: { execution: string; sequence: number; at: number }[]): BaselineEvent[] {
  const first = Math.min(...events.map((e) => e.at));
  return events.map((e) => ({ execution: e.execution, sequence: e.sequence, offsetMs: e.at - first }));
}

/** Starts bench/clients/commit-observer.ts on `executions` (row ids); `finish` stops it and gives what it saw. */
function observeCommits(env: BenchEnv, databaseUrl: string, executions: string[], timeoutMs: number) {
  let tell: (m: unknown) => void = () => {};
  let readyNow: () => void = () => {};
  const ready = new Promise<void>((resolve) => (readyNow = resolve));
  const request: CommitObserverRequest = { databaseUrl, executions, gapMs: OBSERVE_GAP_MS };
  const done = runChild<CommitObserverDone>(new URL("./clients/commit-observer.ts", import.meta.url), request, {
    timeoutMs,
    signal: env.signal,
    onMessage: (m, send) => {
      tell = send;
      if (m.type === "ready") readyNow();
    },
  });
  // Told once: a message sent to a child that has just been stopped fails with EPIPE.
  let finishing: Promise<CommitObserverDone> | undefined;
  return {
    ready: Promise.race([ready, done.then(() => Promise.reject(new Error("the commit observer ended early")))]),
    finish: () => {
      if (!finishing) {
        tell({ type: "finish" });
        finishing = done;
      }
      return finishing;
    },
  };
}

/**
 * The same live events at the same relative times, to the same subscribers (the same client
 * processes), from the bare ws server of subscriptions-baseline.ts: what this machine allows.
 */
async function runBaseline(env: BenchEnv, scenario: Scenario, schedule: BaselineEvent[]): Promise<BaselineResult> {
  let listening: (m: { url: string; send: (m: unknown) => void }) => void = () => {};
  const ready = new Promise<{ url: string; send: (m: unknown) => void }>((resolve) => (listening = resolve));
  const request: WsBaselineRequest = { events: schedule };
  const server = runChild<WsBaselineDone>(new URL("./subscriptions-baseline.ts", import.meta.url), request, {
    timeoutMs: 10 * 60_000,
    signal: env.signal,
    onMessage: (m, send) => {
      if (m.type === "listening") listening({ url: (m as unknown as WsBaselineListening).url, send });
    },
  });
  const { url, send: tell } = await Promise.race([ready, server.then(() => Promise.reject(new Error("the ws baseline ended early")))]);
  const executions = [...new Set(schedule.map((e) => e.execution))];
  const subscribers = Array.from({ length: scenario.subscribers }, (_, i) => executions[i % executions.length] as string);
  const shares = sharesOf(subscribers);
  const progress = shares.map(() => 0);
  let went = false;
  const results = await Promise.all(
    shares.map((share, p) =>
      runChild<WsSubscribersDone>(new URL("./clients/ws-subscribers.ts", import.meta.url), { wsUrl: url, subscribers: share, connectBatch: CONNECT_BATCH } satisfies WsSubscribersRequest, {
        timeoutMs: 5 * 60_000,
        signal: env.signal,
        onMessage: (m) => {
          if (m.type !== "progress") return;
          progress[p] = (m as unknown as WsProgress).connected;
          // Subscribed once connected: a short pause lets the last subscribe messages arrive.
          if (!went && progress.reduce((a, b) => a + b, 0) >= scenario.subscribers) {
            went = true;
            setTimeout(() => tell({ type: "go" }), 500);
          }
        },
      }),
    ),
  );
  tell({ type: "stop" });
  const done = await server;
  const latencies = results.flatMap((r) => r.atMs.map((at, i) => (r.receivedMs[i] as number) - at));
  return {
    latency: summarize(latencies),
    delivered: latencies.length,
    expected: schedule.length * (scenario.subscribers / scenario.executions),
    failed: results.reduce((n, r) => n + r.errors, 0),
    cpuMs: done.cpuMs,
    clientCpuMs: results.reduce((n, r) => n + r.cpuMs, 0),
  };
}

const perEvent = (r: ScenarioResult) => r.sqlFromReady / Math.max(1, r.liveEvents);

export async function subscriptionsBenchmark(env: BenchEnv): Promise<BenchResult> {
  const results: ScenarioResult[] = [];
  const baselines: BaselineResult[] = [];
  for (const scenario of SCENARIOS) {
    if (env.signal.aborted) break;
    if (scenario.workerApart && !(await redisReachable(REDIS_URL))) {
      console.log(`  subscriptions: ${label(scenario)}: skipped, no Redis at ${REDIS_URL} (BENCH_REDIS_URL)`);
      continue;
    }
    console.log(`  subscriptions: ${label(scenario)} ...`);
    const r = await runScenario(env, scenario);
    if (r === "unavailable") {
      const note = "not run: subscriptions not available (the schema has no Subscription.executionEvents yet)";
      return { id: "subscriptions", title: "(b) Subscription delivery latency", markdown: note, console: [note] };
    }
    console.log(
      `    from commit p50 ${fmt(r.fromCommit.p50)} ms, p99 ${fmt(r.fromCommit.p99)} ms; from at p50 ${fmt(r.latency.p50)} ms, p99 ${fmt(r.latency.p99)} ms over ${fmtInt(r.delivered)} deliveries, ` +
        `${fmt(perEvent(r))} SQL statements per event`,
    );
    results.push(r);
    const b = await runBaseline(env, scenario, r.schedule);
    console.log(`    bare ws baseline, same events: p50 ${fmt(b.latency.p50)} ms, p99 ${fmt(b.latency.p99)} ms (${fmtInt(b.delivered)} deliveries)`);
    baselines.push(b);
  }
  const rows = results.map((r) => [
    label(r),
    fmt(r.fromCommit.p50),
    `**${fmt(r.fromCommit.p99)}**`,
    fmt(r.latency.p50),
    fmt(r.latency.p90),
    fmt(r.latency.p99),
    fmt(r.latency.max),
    `${fmtInt(r.delivered)} / ${fmtInt(r.expected)}`,
    fmtInt(r.failed),
    `${r.runsCompleted} / ${r.executions}`,
    fmt(perEvent(r)),
    fmtInt(r.connectMs),
    fmtInt(r.readyMarginMs),
  ]);
  const worst = Math.max(...results.map((r) => r.fromCommit.p99));
  const markdown = [
    "`executionEvents(executionId, afterSequence: 0) { sequence type at }` over graphql-ws, one WebSocket per",
    `subscriber (graphql-ws \`createClient\` + \`ws\`, in child processes of at most ${fmtInt(CLIENTS_PER_PROCESS)} each). Each run of the workflow sleeps in a`,
    `${GATE_MS / 1000} s (10,000 subscribers: ${gateMs(10_000) / 1000} s) \`delay\` step while the subscribers connect and replay what happened so far; then 4 batches of`,
    "5 `transform` steps run (~50 events per run). Only events written after every subscriber had caught up",
    "count. _From commit_ (what the target is about): receive time − the event's commit, as seen from outside the app by",
    `bench/clients/commit-observer.ts (its own process, reading the runs' lastEventSequence every ${OBSERVE_GAP_MS} ms; an event counts as`,
    "committed when the read before the one that first showed it was sent, so this may overstate a latency by the window in",
    "the notes below, never understate it). _From `at`_: receive time − the event's `at` (when the engine wrote it in memory:",
    "this includes the time the engine held it before its commit).",
    `Target p99 ≤ ${TARGET_P99_MS} ms from commit: **${worst <= TARGET_P99_MS ? "met" : "not met"}**.`,
    "_worker apart_: the API in this process with `RUN_WORKER=false`, the engine in a worker process of its own",
    "(`src/main.ts --worker`), events over Redis, as the README's production setup runs them; the other rows run both in one process.",
    "_2 API processes_: the same, with the subscribers' sockets spread over two API processes sharing one port (as `WEB_CONCURRENCY=2`).",
    "",
    table(
      ["subscribers on executions", "from commit p50 ms", "from commit p99 ms", "from `at` p50 ms", "p90 ms", "p99 ms", "max ms", "delivered / expected", "failed", "runs COMPLETED", "SQL / event", "connect ms", "gate margin ms"],
      rows,
    ),
    "",
    "The floor on this machine, measured right after each row: a bare `ws` server (bench/subscriptions-baseline.ts, its own",
    "process) that plays back the same live events at the same relative times (their commits, as the observer saw them) to as many subscribers, through the same",
    "client processes: no database, no engine, no GraphQL, each payload serialized once, everything due in one turn",
    "written to each socket in one corked write (as the app's transport does).",
    "Its latency counts from the moment an event was due (its commit), so time an event waits behind the ones before it counts for both.",
    "",
    table(
      ["subscribers on executions", "baseline p50 ms", "baseline p99 ms", "delivered / expected", "baseline CPU ms", "app p99 from commit / baseline p99"],
      results.map((r, i) => {
        const b = baselines[i] as BaselineResult;
        return [
          label(r),
          fmt(b.latency.p50),
          `**${fmt(b.latency.p99)}**`,
          `${fmtInt(b.delivered)} / ${fmtInt(b.expected)}`,
          fmtInt(b.cpuMs),
          `${fmt(r.fromCommit.p99 / Math.max(1, b.latency.p99))}×`,
        ];
      }),
    ),
    "",
    "_connect ms_: until every subscriber was connected and caught up; _gate margin_: time left before the first",
    "gate woke (negative: some live events happened before all subscribers were ready and were not counted).",
    "_SQL / event_: every statement of the app (the engine's included) from the moment all subscribers were ready to the last delivery,",
    "divided by the live events written meanwhile; it does not grow with the subscribers of an execution.",
    "",
    ...results.flatMap((r) => [
      `${label(r)}:`,
      "",
      `- The ${fmtInt(r.liveEvents)} live events were written within ${fmtInt(r.writtenMs)} ms and their ${fmtInt(r.delivered)} deliveries done ${fmtInt(r.deliveredMs)} ms after the first was written: ${fmtInt(r.delivered / Math.max(1, r.deliveredMs / 1000))} deliveries/s.`,
      `- Commit times known within ${fmt(r.commitWindowMs)} ms on average${r.withoutCommit > 0 ? `; ${fmtInt(r.withoutCommit)} deliveries had none (committed before the observer's first read) and are left out of "from commit"` : ""}.`,
      ...(r.workerApart
        ? ["- The worker ran in a process of its own (`src/main.ts --worker`, events over Redis); its commit delay below is from its own `/metrics` (`METRICS_PORT`)."]
        : []),
      ...(r.apiProcesses
        ? [
            `- The subscribers were served by ${r.apiProcesses} API processes on one port (node:cluster, bench/clients/api-processes.ts): the CPU figures and profile below are of the bench's own app, which only started the runs.`,
          ]
        : []),
      ...(r.commitDelay?.p50 != null && r.commitDelay.p99 != null
        ? [
            `- Of each latency, the time the engine held the event before its commit (\`${COMMIT_DELAY}\`, estimated within its buckets): p50 ~${fmt(r.commitDelay.p50)} ms, p99 ~${fmt(r.commitDelay.p99)} ms. "From commit" and the baseline have none of it.`,
          ]
        : []),
      `- From ${WINDOW_LEAD_MS} ms before the first gate was due to the last delivery: ${fmtInt(r.measurement.sql.count)} SQL statements; CPU: ${formatCpu(r.measurement.cpu, [{ label: `subscriber clients (${r.clientProcesses} processes)`, ms: r.clientCpuMs }])}.`,
      ...profileLines(r.measurement.profile),
      ...(r.firstError ? [`- First subscription error: \`${r.firstError.slice(0, 200)}\``] : []),
      "",
    ]),
  ].join("\n");
  return {
    id: "subscriptions",
    title: "(b) Subscription delivery latency",
    markdown,
    console: results.map(
      (r) =>
        `${fmtInt(r.subscribers)} subscribers on ${r.executions}: from commit p50 ${fmt(r.fromCommit.p50)} ms, p99 ${fmt(r.fromCommit.p99)} ms (from at: p99 ${fmt(r.latency.p99)} ms), ` +
        `${fmtInt(r.delivered)}/${fmtInt(r.expected)} delivered, ${r.failed} failed, ${r.runsCompleted}/${r.executions} runs COMPLETED`,
    ),
  };
}
