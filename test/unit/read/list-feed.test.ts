// The list feed over a fake change log: what lets viewers of one list share their payloads. Two
// viewers in the same place get changes with the same cause, and a poll's runs are read once, together.
import { afterEach, describe, expect, it } from "vitest";
import type { Query } from "../../../src/read/list-changes/changes-sql.ts";
import { createListFeeds, type ListChange, type ListFeeds, type ListStream } from "../../../src/read/list-changes/feed.ts";

const TENANT = "00000000-0000-4000-8000-000000000001";
const run = (n: number) => `00000000-0000-4000-8000-0000000000${String(10 + n)}`;

/** A change log that hands each read the rows appended since the last one, under a newer snapshot. */
function fakeLog() {
  let xmax = 10;
  let id = 0;
  let unread: Record<string, unknown>[] = [];
  let notify = () => {};
  const query = (async (_text: string, _values?: unknown[], name?: string) => {
    xmax += 1;
    const snapshot = `${xmax}:${xmax}:`;
    const nowMs = Date.now();
    if (name === "list_changes_snapshot") return { rows: [{ snapshot, nowMs }] };
    const rows = unread;
    unread = [];
    const head = { snapshot, nowMs, pageRows: rows.length, pageLastId: rows.at(-1)?.["id"] ?? null };
    return { rows: rows.length === 0 ? [{ ...head, id: null }] : rows.map((row) => ({ ...head, ...row })) };
  }) as Query;
  return {
    query,
    watch: (_tenant: string, onChange: () => void) => {
      notify = onChange;
      return () => {};
    },
    /** Runs `runs` were created (RUNNING) in one commit: the next poll reads them all. */
    created(runs: string[]) {
      for (const executionId of runs) {
        id += 1;
        unread.push({
          id: String(id),
          xid: String(xmax),
          executionId,
          previousStatus: null,
          status: "RUNNING",
          previousErrorMessage: null,
          errorMessage: null,
          deletion: false,
          workflowId: "00000000-0000-4000-8000-0000000000ff",
          workflowName: "w",
          triggerSource: "API",
          triggerEvent: null,
          startedById: "user",
          externalId: null,
          createdAt: new Date(),
        });
      }
      notify();
    },
  };
}

/** The next `n` changes of `stream`, each with the cause it had when handed out. */
async function take(stream: ListStream, n: number): Promise<{ change: ListChange; cause: string | null }[]> {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const { value } = await stream.next();
    out.push({ change: value as ListChange, cause: stream.cause() });
  }
  return out;
}

let feeds: ListFeeds | undefined;
afterEach(() => feeds?.close());

describe("list feeds", () => {
  it("give viewers in the same place changes with the same cause, and read a poll's runs once", async () => {
    const log = fakeLog();
    feeds = createListFeeds({ query: log.query, watch: log.watch, retentionMs: 60_000, fallbackPollMs: 60_000 });
    const viewers = [feeds.subscribe(TENANT, {}, null), feeds.subscribe(TENANT, {}, null)];
    // Both start from now: wait until both are at the feed's head.
    const first = viewers.map((v) => v.next());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const runs = [run(1), run(2), run(3)];
    log.created(runs);
    const changes = [
      [{ change: (await first[0])?.value as ListChange, cause: (viewers[0] as ListStream).cause() }, ...(await take(viewers[0] as ListStream, 2))],
      [{ change: (await first[1])?.value as ListChange, cause: (viewers[1] as ListStream).cause() }, ...(await take(viewers[1] as ListStream, 2))],
    ];
    const [mine, theirs] = changes as [typeof changes[0], typeof changes[0]];
    expect(mine.map((c) => [c.change.kind, c.change.executionId])).toEqual(runs.map((r) => ["ENTERED", r]));
    expect(theirs.map((c) => c.cause)).toEqual(mine.map((c) => c.cause));
    expect(new Set(mine.map((c) => c.cause)).size).toBe(3);

    const loads: (readonly string[])[] = [];
    const load = async (ids: readonly string[]) => {
      loads.push(ids);
      return new Map(ids.map((id) => [id, `row of ${id}`]));
    };
    const values = await Promise.all([...mine, ...theirs].map((c) => c.change.sharedByRun("payload", load)));
    expect(values).toEqual([...runs, ...runs].map((r) => `row of ${r}`));
    expect(loads).toEqual([runs]);
    for (const viewer of viewers) await viewer.return();
  });
});
