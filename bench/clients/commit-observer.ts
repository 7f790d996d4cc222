// Child process: sees when executions' events commit, from outside the app. It reads the
// executions' lastEventSequence over and over; an event became visible (committed) after the read
// before the one that first shows it was sent, and before that one returned. In a process of its
// own so that the app's busy event loop delays neither the reads nor their timestamps.
import pg from "pg";
import { serveChild } from "../child.ts";

export type CommitObserverRequest = { databaseUrl: string; executions: string[]; gapMs: number };
/**
 * Per read that showed new events: [execution index, last sequence seen before, last sequence now,
 * when the read before was sent, when this one returned] (ms, performance.timeOrigin-based like the
 * subscriber clients' times).
 */
export type CommitSighting = [number, number, number, number, number];
export type CommitObserverDone = { type: "done"; sightings: CommitSighting[] };

const nowMs = () => performance.timeOrigin + performance.now();
const READ = `SELECT id, "lastEventSequence" AS seq FROM "Execution" WHERE id = ANY($1::uuid[])`;

serveChild<CommitObserverRequest>(async (req, send, receive) => {
  const client = new pg.Client({ connectionString: req.databaseUrl });
  await client.connect();
  let finished = false;
  void receive("finish").then(() => (finished = true));
  const index = new Map(req.executions.map((id, i) => [id, i]));
  const last = new Map<string, number>();
  const sightings: CommitSighting[] = [];
  let first = true;
  let sentBefore = 0;
  try {
    while (!finished) {
      const sent = nowMs();
      const { rows } = await client.query<{ id: string; seq: number }>({ name: "observe", text: READ, values: [req.executions] });
      const returned = nowMs();
      for (const row of rows) {
        const before = last.get(row.id);
        if (before !== undefined && row.seq > before) sightings.push([index.get(row.id) as number, before, row.seq, sentBefore, returned]);
        last.set(row.id, row.seq);
      }
      if (first) send({ type: "ready" });
      first = false;
      sentBefore = sent;
      await new Promise((resolve) => setTimeout(resolve, req.gapMs));
    }
  } finally {
    await client.end();
  }
  return { type: "done", sightings };
});
