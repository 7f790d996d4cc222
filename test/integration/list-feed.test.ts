// The shared list feed against real PostgreSQL, without the engine: change rows written by hand in
// transactions that overlap on purpose. A transaction that took its xid before a cursor was read
// but commits after it must still be delivered, once; a catch-up over many small pages must
// deliver every row once; and a subscriber that resumes from any change's cursor gets exactly the
// rest.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createListFeeds, type ListChange, type ListFeeds } from "../../src/read/list-changes/feed.ts";
import { cursorOfSnapshot } from "../../src/read/list-changes/cursor.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
let pool: pg.Pool;
let feeds: ListFeeds;
let tenantId: string;
let workflowId: string;
const notify = new Set<() => void>();

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 6 });
  tenantId = (await pool.query(`INSERT INTO "Tenant" (id, slug, name) VALUES (gen_random_uuid(), 'feed', 'Feed') RETURNING id`))
    .rows[0].id;
  workflowId = (
    await pool.query(
      `INSERT INTO "Workflow" (id, "tenantId", name, version, "updatedAt") VALUES (gen_random_uuid(), $1, 'wf', 1, now()) RETURNING id`,
      [tenantId],
    )
  ).rows[0].id;
  feeds = createListFeeds({
    query: (text, values, name) => pool.query({ text, values, ...(name ? { name } : {}) }) as never,
    watch: (_tenant, wake) => {
      notify.add(wake);
      return () => notify.delete(wake);
    },
    retentionMs: 86_400_000,
    pageSize: 2,
    fallbackPollMs: 100,
    onError: () => {},
  });
});
afterAll(async () => {
  feeds.close();
  await pool.end();
  await database.drop();
});

const wake = () => {
  for (const fn of notify) fn();
};

/** A new execution (PENDING) and its create change, in a transaction of its own. */
async function createRun(client: pg.PoolClient | pg.Pool = pool): Promise<string> {
  const { rows } = await client.query(
    `WITH x AS (INSERT INTO "Execution" (id, "tenantId", "workflowId", "workflowVersion", status)
       VALUES (gen_random_uuid(), $1, $2, 1, 'PENDING') RETURNING id, "tenantId", status)
     , ch AS (INSERT INTO "ExecutionChange" ("tenantId", "executionId", status) SELECT "tenantId", id, status FROM x)
     SELECT id FROM x`,
    [tenantId, workflowId],
  );
  return rows[0].id;
}

async function setStatus(id: string, from: string, to: string, client: pg.PoolClient | pg.Pool = pool) {
  await client.query(
    `WITH x AS (UPDATE "Execution" SET status = $3::"ExecutionStatus" WHERE id = $1 RETURNING id, "tenantId")
     INSERT INTO "ExecutionChange" ("tenantId", "executionId", "previousStatus", status)
     SELECT "tenantId", id, $2::"ExecutionStatus", $3::"ExecutionStatus" FROM x`,
    [id, from, to],
  );
}

async function cursorNow(): Promise<string> {
  const { rows } = await pool.query(
    `SELECT pg_current_snapshot()::text AS s, (extract(epoch from statement_timestamp()) * 1000)::float8 AS t`,
  );
  return cursorOfSnapshot(rows[0].s, rows[0].t);
}

/** Takes changes until `until` holds (waking the feed meanwhile); fails after 10 s. */
async function take(stream: AsyncIterator<ListChange>, until: (got: ListChange[]) => boolean): Promise<ListChange[]> {
  const got: ListChange[] = [];
  const deadline = Date.now() + 10_000;
  while (!until(got)) {
    const timer = setInterval(wake, 20);
    try {
      const next = await Promise.race([
        stream.next(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${got.length} changes`)), deadline - Date.now())),
      ]);
      if (next.done) break;
      got.push(next.value);
    } finally {
      clearInterval(timer);
    }
  }
  return got;
}

const key = (c: ListChange) => `${c.kind} ${c.executionId}`;

describe("the list feed", () => {
  it("delivers a change whose transaction began before the cursor and committed after it, once", async () => {
    const early = await pool.connect();
    try {
      await early.query("BEGIN");
      const late = await createRun(early); // has its xid now, commits later
      const cursor = await cursorNow();
      const quick = await createRun();
      await early.query("COMMIT");
      const stream = feeds.subscribe(tenantId, { workflowId }, cursor);
      const got = await take(stream, (g) => g.length >= 2);
      expect(got.map(key).sort()).toEqual([`ENTERED ${late}`, `ENTERED ${quick}`].sort());
      // Nothing more comes for them.
      await setStatus(quick, "PENDING", "RUNNING");
      const more = await take(stream, (g) => g.length >= 1);
      expect(more.map(key)).toEqual([`UPDATED ${quick}`]);
      await stream.return();
    } finally {
      early.release();
    }
  });

  it("catches up over many pages, and resuming from any change's cursor gives exactly the rest", async () => {
    const cursor = await cursorNow();
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) runs.push(await createRun());
    for (const id of runs) await setStatus(id, "PENDING", "RUNNING");
    for (const id of runs.slice(0, 3)) await setStatus(id, "RUNNING", "COMPLETED");
    const filter = { workflowId, status: ["RUNNING"] };
    const first = feeds.subscribe(tenantId, filter, cursor);
    const all = await take(first, (g) => g.length >= 8);
    await first.return();
    expect(all.map(key)).toEqual([...runs.map((id) => `ENTERED ${id}`), ...runs.slice(0, 3).map((id) => `LEFT ${id}`)]);
    for (let n = 0; n < all.length; n++) {
      const rest = all.slice(n + 1);
      const stream = feeds.subscribe(tenantId, filter, (all[n] as ListChange).cursor());
      const got = rest.length > 0 ? await take(stream, (g) => g.length >= rest.length) : [];
      expect(got.map(key), `resumed after change ${n}`).toEqual(rest.map(key));
      await stream.return();
    }
  });

  it("a subscriber without a cursor gets only what commits after it subscribed", async () => {
    const before = await createRun();
    const stream = feeds.subscribe(tenantId, { workflowId }, null);
    // The first next() waits for a head read after subscribing; then a change follows.
    const pending = take(stream, (g) => g.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    const after = await createRun();
    const got = await pending;
    expect(got.map(key)).toEqual([`ENTERED ${after}`]);
    expect(got.map(key)).not.toContain(`ENTERED ${before}`);
    await stream.return();
    expect(feeds.stats().subscribers).toBe(0);
  });

  it("takes a subscriber that stops reading off the feed, and it catches up without loss when it reads again", async () => {
    const small = createListFeeds({
      query: (text, values, name) => pool.query({ text, values, ...(name ? { name } : {}) }) as never,
      watch: (_tenant, fn) => {
        notify.add(fn);
        return () => notify.delete(fn);
      },
      retentionMs: 86_400_000,
      maxQueue: 3,
      fallbackPollMs: 50,
      onError: () => {},
    });
    try {
      const stream = small.subscribe(tenantId, { workflowId }, await cursorNow());
      const first = await createRun();
      expect((await take(stream, (g) => g.length >= 1)).map(key)).toEqual([`ENTERED ${first}`]);
      // One read waits (so it joins the feed), then none: the polls queue more than maxQueue for it.
      const waiting = stream.next();
      const runs: string[] = [];
      for (let i = 0; i < 10; i++) {
        runs.push(await createRun());
        wake();
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 200));
      const next = await waiting;
      const rest = [next.value as ListChange, ...(await take(stream, (g) => g.length >= runs.length - 1))];
      expect(rest.map(key)).toEqual(runs.map((id) => `ENTERED ${id}`));
      expect(small.stats().takenOff).toBeGreaterThan(0);
      await stream.return();
    } finally {
      small.close();
    }
  });
});
