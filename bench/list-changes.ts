// (d) Live list views: 1,000 subscribers of executionListChanges, spread over four filters, while
// 100 runs execute. Each subscriber reads its list with changesCursor, subscribes after it and
// applies the changes; at the end every view must equal the executions query with its filter.
// Reported: delivery latency (receive − the startedAt/completedAt the change shows, i.e. from the
// engine's decision through its commit to the client), and SQL statements per engine commit —
// the change-log reads are shared per tenant, so they must not grow with the subscribers.
// BENCH_LIST_SUBSCRIBERS / BENCH_LIST_RUNS scale it down for a quick look.
import { createBenchWorkflow, startBenchRun } from "./api.ts";
import { runChild } from "./child.ts";
import type { ListProgress, ListSubscribersDone, ListSubscribersRequest, VerifyMessage } from "./clients/list-subscribers.ts";
import { type BenchEnv, waitFor, withBenchApp } from "./harness.ts";
import { type Measurement, profileLines, startMeasurement } from "./measure.ts";
import { type BenchResult, fmt, fmtInt, summarize, table } from "./report.ts";
import { formatCpu, formatKinds } from "./sql-profile.ts";

const SUBSCRIBERS = Number(process.env.BENCH_LIST_SUBSCRIBERS ?? 1000);
const RUNS = Math.min(100, Number(process.env.BENCH_LIST_RUNS ?? 100));
const CONNECT_BATCH = 100;

const step = (id: string, dependsOn: string[]) => ({ id, type: "transform", config: { output: "{{input.n}}" }, dependsOn });
/** 3 batches of 3 transforms, with a short sleep first so RUNNING lasts long enough to be seen. */
const LIST_WORKFLOW = {
  steps: [
    { id: "wait", type: "delay", config: { ms: 300 } },
    ...["a1", "a2", "a3"].map((id) => step(id, ["wait"])),
    ...["b1", "b2", "b3"].map((id) => step(id, ["a1"])),
    ...["c1", "c2", "c3"].map((id) => step(id, ["b1"])),
  ],
};

const LIST_IDS = `query BenchListIds($filter: ExecutionFilter) { executions(first: 100, filter: $filter) { edges { node { id } } } }`;

export async function listChangesBenchmark(env: BenchEnv): Promise<BenchResult> {
  return withBenchApp(env, {}, async (bench) => {
    const workflow = await createBenchWorkflow(bench, "bench-list", LIST_WORKFLOW);
    const workflowId = workflow.globalId;
    const kinds: Record<string, unknown>[] = [
      { workflowId },
      { workflowId, status: ["RUNNING"] },
      { workflowId, status: ["COMPLETED"] },
      { workflowId, status: ["PENDING"] },
    ];
    const filters = Array.from({ length: SUBSCRIBERS }, (_, i) => kinds[i % kinds.length] as Record<string, unknown>);
    const request: ListSubscribersRequest = { httpUrl: bench.url, wsUrl: bench.url.replace(/^http/, "ws"), filters, connectBatch: CONNECT_BATCH };
    console.log(`  list-changes: ${fmtInt(SUBSCRIBERS)} list subscribers, ${RUNS} runs ...`);
    let subscribedAt = 0;
    let started: Promise<void> | null = null;
    let endMeasurement: (() => Promise<Measurement>) | null = null;
    let runsDone = 0;
    const done = await runChild<ListSubscribersDone>(new URL("./clients/list-subscribers.ts", import.meta.url), request, {
      timeoutMs: 600_000,
      signal: env.signal,
      onMessage: (m, send) => {
        if (m.type !== "progress") return;
        const p = m as unknown as ListProgress;
        if (p.errors > 0 && !started) {
          send({ type: "verify", expected: {}, timeoutMs: 0 } satisfies VerifyMessage);
          return;
        }
        if (started || p.subscribed < SUBSCRIBERS) return;
        subscribedAt = Date.now();
        endMeasurement = startMeasurement(bench, env, "list-changes");
        started = (async () => {
          await Promise.all(Array.from({ length: RUNS }, (_, n) => startBenchRun(bench, workflowId, { n })));
          await waitFor(
            "every run to finish",
            async () => {
              const { rows } = await bench.pg.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM "Execution" WHERE "workflowId" = $1 AND status NOT IN ('PENDING', 'RUNNING')`,
                [workflow.id],
              );
              runsDone = rows[0]?.n ?? 0;
              return runsDone >= RUNS ? true : undefined;
            },
            { timeoutMs: 300_000, signal: env.signal },
          );
          const expected: Record<string, string[]> = {};
          for (const filter of kinds) {
            const data = await bench.graphql<{ executions: { edges: { node: { id: string } }[] } }>(LIST_IDS, { filter });
            expected[JSON.stringify(filter)] = data.executions.edges.map((e) => e.node.id);
          }
          send({ type: "verify", expected, timeoutMs: 180_000 } satisfies VerifyMessage);
        })().catch((error: unknown) => send({ type: "verify", expected: { error: [String(error)] }, timeoutMs: 0 }));
      },
    });
    const end = endMeasurement as (() => Promise<Measurement>) | null;
    const measurement = end ? await end() : null;
    const wallMs = subscribedAt ? Date.now() - subscribedAt : NaN;
    const latency = summarize(done.latencies);
    const commits = measurement?.sql.byKind["engine:commit"] ?? 0;
    const listReads = (measurement?.sql.byKind["list-changes:read"] ?? 0) + (measurement?.sql.byKind["list-changes:snapshot"] ?? 0);
    const total = measurement?.sql.count ?? 0;
    const per = (n: number) => (commits > 0 ? fmt(n / commits, 2) : "n/a");
    const rows = [
      [
        `${fmtInt(SUBSCRIBERS)} × ${RUNS} runs`,
        fmt(latency.p50),
        fmt(latency.p90),
        `**${fmt(latency.p99)}**`,
        fmt(latency.max),
        fmtInt(done.changes),
        `${fmtInt(SUBSCRIBERS - done.mismatched)} / ${fmtInt(SUBSCRIBERS)}`,
        fmtInt(done.problems),
        fmtInt(commits),
        per(listReads),
        per(total),
      ],
    ];
    const markdown = [
      "`executionListChanges(filter, after: changesCursor) { kind cursor execution { id status startedAt completedAt",
      "progress { percent } } }` over graphql-ws, one WebSocket per subscriber (child process), each after reading its",
      "list with `executions(filter) { changesCursor … }`. Subscribers are spread over four filters of one workflow (all,",
      "RUNNING, COMPLETED, PENDING); the runs (a 300 ms delay, then 3 batches of 3 transforms) start once every",
      "subscriber is subscribed. Latency = receive time − the run's startedAt (the first change showing it RUNNING)",
      "or completedAt (the first showing it finished): the engine's decision, its commit, the shared poll, the",
      "payload's read and the socket. _Views equal_: subscribers whose view, changes applied, ended equal to the",
      "executions query with the same filter; _problems_: changes that could not apply (lost or repeated).",
      "",
      table(
        ["scenario", "p50 ms", "p90 ms", "p99 ms", "max ms", "changes delivered", "views equal", "problems", "engine commits", "change-log reads / commit", "SQL / commit"],
        rows,
      ),
      "",
      `- Wall time from the last subscription to the last view checked: ${fmtInt(wallMs)} ms; ${runsDone} / ${RUNS} runs finished.`,
      `- Mean cursor size: ${fmtInt(done.changes > 0 ? done.cursorChars / done.changes : 0)} characters.`,
      ...(measurement
        ? [
            `- SQL in that window (${fmtInt(total)} statements) ${formatKinds(measurement.sql.byKind, Math.max(1, commits), "engine commit")}.`,
            `- CPU: ${formatCpu(measurement.cpu, [{ label: "subscriber client", ms: done.cpuMs }])}.`,
            ...profileLines(measurement.profile),
          ]
        : []),
      ...(done.firstError ? [`- First error: \`${done.firstError.slice(0, 200)}\``] : []),
      ...(done.firstProblem ? [`- First problem: \`${done.firstProblem.slice(0, 200)}\``] : []),
      ...(bench.errors.length > 0 ? [`- App errors: ${bench.errors.length}, first: \`${(bench.errors[0] as string).slice(0, 200)}\``] : []),
    ].join("\n");
    return {
      id: "list-changes",
      title: "(d) Live list views (executionListChanges)",
      markdown,
      console: [
        `${fmtInt(SUBSCRIBERS)} subscribers, ${RUNS} runs: p50 ${fmt(latency.p50)} ms, p99 ${fmt(latency.p99)} ms, ` +
          `${fmtInt(done.changes)} changes, views equal ${SUBSCRIBERS - done.mismatched}/${SUBSCRIBERS}, ` +
          `${done.problems} problems, ${done.errors} errors; change-log reads/commit ${per(listReads)}, SQL/commit ${per(total)}, ` +
          `mean cursor ${fmtInt(done.changes > 0 ? done.cursorChars / done.changes : 0)} chars, wall ${fmtInt(wallMs)} ms`,
      ],
    };
  });
}
