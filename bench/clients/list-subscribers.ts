// Child process: live list views, one graphql-ws client (its own WebSocket) per subscriber. Each
// reads its list with `executions(filter) { changesCursor … }` over HTTP, subscribes to
// executionListChanges after that cursor and applies every change (strictly: an ENTERED for a
// listed run or an UPDATED/LEFT for an unlisted one is counted as a problem). Reports progress;
// on "verify" (with the executions query's answer per filter) waits until every view equals it.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { serveChild } from "../child.ts";

export type ListSubscribersRequest = {
  httpUrl: string;
  wsUrl: string;
  /** One filter per subscriber (ExecutionFilter input values). */
  filters: Record<string, unknown>[];
  connectBatch: number;
};

export type ListProgress = { type: "progress"; subscribed: number; errors: number; firstError: string | null; changes: number };

/** Sent by the parent once every run has finished: the executions query's IDs for each distinct filter (by JSON). */
export type VerifyMessage = { type: "verify"; expected: Record<string, string[]>; timeoutMs: number };

export type ListSubscribersDone = {
  type: "done";
  /** receive time − the commit time the change reflects (startedAt / completedAt), ms. */
  latencies: number[];
  changes: number;
  /** Characters of all cursors received (their mean size says what resuming costs a message). */
  cursorChars: number;
  problems: number;
  firstProblem: string | null;
  /** Views that did not end equal to the executions query. */
  mismatched: number;
  errors: number;
  firstError: string | null;
  cpuMs: number;
};

const LIST = `query BenchList($filter: ExecutionFilter) {
  executions(first: 100, filter: $filter) { changesCursor edges { node { id status } } }
}`;
const CHANGES = `subscription BenchListChanges($filter: ExecutionFilter, $after: String) {
  executionListChanges(filter: $filter, after: $after) {
    kind cursor execution { id status startedAt completedAt progress { percent } }
  }
}`;

type Change = {
  kind: "ENTERED" | "UPDATED" | "LEFT";
  cursor: string;
  execution: { id: string; status: string; startedAt: string | null; completedAt: string | null };
};

const nowMs = () => performance.timeOrigin + performance.now();
const FINISHED = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

serveChild<ListSubscribersRequest>(async (req, send, receive) => {
  const cpu = process.cpuUsage();
  const views = req.filters.map(() => new Map<string, string>());
  const seenStart = req.filters.map(() => new Set<string>());
  const seenEnd = req.filters.map(() => new Set<string>());
  const done: ListSubscribersDone = {
    type: "done",
    latencies: [],
    changes: 0,
    cursorChars: 0,
    problems: 0,
    firstProblem: null,
    mismatched: 0,
    errors: 0,
    firstError: null,
    cpuMs: 0,
  };
  const fail = (message: string) => {
    done.errors += 1;
    done.firstError ??= message;
  };
  let subscribed = 0;
  const progress = setInterval(() => {
    const message: ListProgress = { type: "progress", subscribed, errors: done.errors, firstError: done.firstError, changes: done.changes };
    send(message);
  }, 100);

  const apply = (i: number, change: Change) => {
    const view = views[i] as Map<string, string>;
    const { id, status, startedAt, completedAt } = change.execution;
    const listed = view.has(id);
    let problem: string | null = null;
    if (change.kind === "ENTERED") {
      if (listed) problem = `ENTERED twice: ${id}`;
      view.set(id, status);
    } else if (!listed) problem = `${change.kind} of an unlisted run ${id}`;
    else if (change.kind === "LEFT") view.delete(id);
    else view.set(id, status);
    if (problem) {
      done.problems += 1;
      done.firstProblem ??= problem;
    }
    const received = nowMs();
    if (startedAt && !(seenStart[i] as Set<string>).has(id)) {
      (seenStart[i] as Set<string>).add(id);
      if (status === "RUNNING") done.latencies.push(received - Date.parse(startedAt));
    }
    if (completedAt && FINISHED.has(status) && !(seenEnd[i] as Set<string>).has(id)) {
      (seenEnd[i] as Set<string>).add(id);
      done.latencies.push(received - Date.parse(completedAt));
    }
  };

  const clients: ReturnType<typeof createClient>[] = [];
  try {
    for (let from = 0; from < req.filters.length; from += req.connectBatch) {
      const batch = req.filters.slice(from, from + req.connectBatch);
      await Promise.all(
        batch.map(async (filter, j) => {
          const i = from + j;
          const res = await fetch(req.httpUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: LIST, variables: { filter } }),
          });
          const body = (await res.json()) as {
            data?: { executions: { changesCursor: string; edges: { node: { id: string; status: string } }[] } };
            errors?: unknown[];
          };
          if (!body.data) return fail(JSON.stringify(body.errors));
          for (const { node } of body.data.executions.edges) (views[i] as Map<string, string>).set(node.id, node.status);
          const client = createClient({ url: req.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
          clients.push(client);
          client.subscribe<{ executionListChanges: Change }>(
            { query: CHANGES, variables: { filter, after: body.data.executions.changesCursor } },
            {
              next: (value) => {
                const change = value.data?.executionListChanges;
                if (value.errors) fail(JSON.stringify(value.errors));
                if (!change) return;
                done.changes += 1;
                done.cursorChars += change.cursor.length;
                apply(i, change);
              },
              error: (error) => fail(error instanceof Error ? error.message : JSON.stringify(error)),
              complete: () => fail("a list subscription completed"),
            },
          );
          subscribed += 1;
        }),
      );
    }
    const verify = (await receive("verify")) as unknown as VerifyMessage;
    const deadline = Date.now() + verify.timeoutMs;
    const mismatches = () =>
      req.filters.filter((filter, i) => {
        const expected = verify.expected[JSON.stringify(filter)] ?? [];
        const view = views[i] as Map<string, string>;
        return view.size !== expected.length || expected.some((id) => !view.has(id));
      }).length;
    while (mismatches() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    done.mismatched = mismatches();
  } finally {
    clearInterval(progress);
    await Promise.all(clients.map((c) => c.dispose()));
  }
  const used = process.cpuUsage(cpu);
  done.cpuMs = (used.user + used.system) / 1000;
  return done;
});
