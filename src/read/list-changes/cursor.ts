// Changes cursors: opaque (base64url of versioned JSON), validated on the way in.
//
// A position in the change log is the set of change rows a client has seen:
// - plain `{ s }`: every row whose transaction the snapshot `s` sees (what a list read at `s`
//   reflects, and where a subscriber stands after a poll);
// - within a poll `{ b, s, i }`: the rows `b` sees, and of those `s` sees the ones up to id `i`
//   (a subscriber that got the changes of poll b → s up to row i).
// `p` lists executions whose progress update was held back by the throttle when the cursor was
// handed out: resuming delivers them first, so a reconnect loses no final progress.
// `t` is the database's clock when its oldest snapshot was taken: a cursor older than the change log's
// retention is refused with CURSOR_EXPIRED, as rows it still needs may be pruned.
import { BadUserInputError, CursorExpiredError } from "../../errors.ts";
import { isVisible, parseSnapshot, type Snapshot } from "./snapshot.ts";

export type Position = {
  snapshot: Snapshot;
  /** Set within a poll: `within.base` sees everything seen, `snapshot` up to row `within.lastId`. */
  within: { base: Snapshot; lastId: bigint } | null;
  /** Database time (ms) of the oldest snapshot in it (`within.base` if set): what expiry goes by. */
  at: number;
  pending: readonly string[];
};

const VERSION = 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_CURSOR_LENGTH = 64 * 1024;

/** Whether the client at `position` has seen the change row (xid, id). */
export function hasSeen(position: Position, xid: bigint, id: bigint): boolean {
  if (position.within) {
    return isVisible(xid, position.within.base) || (id <= position.within.lastId && isVisible(xid, position.snapshot));
  }
  return isVisible(xid, position.snapshot);
}

/** The oldest snapshot whose visibility decides `hasSeen` (its xmin bounds what may be unseen). */
export const floorOf = (position: Position): Snapshot => position.within?.base ?? position.snapshot;

export function encodeCursor(position: Position): string {
  const body: Record<string, unknown> = { v: VERSION, s: position.snapshot.text, t: position.at };
  if (position.within) {
    body["b"] = position.within.base.text;
    body["i"] = position.within.lastId.toString();
  }
  if (position.pending.length > 0) body["p"] = position.pending;
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

const invalid = () =>
  new BadUserInputError("Invalid changes cursor: use a changesCursor or an ExecutionListChange.cursor as it was given");

/**
 * The position a cursor names; BAD_USER_INPUT when it is not one this server wrote, CURSOR_EXPIRED
 * when it is older than `retentionMs` at database time `nowMs`.
 */
export function decodeCursor(cursor: string, { nowMs, retentionMs }: { nowMs: number; retentionMs: number }): Position {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid();
  const { v, s, t, b, i, p } = body as Record<string, unknown>;
  if (v !== VERSION || typeof s !== "string" || typeof t !== "number" || !Number.isFinite(t)) throw invalid();
  const snapshot = parseSnapshot(s);
  if (!snapshot) throw invalid();
  let within: Position["within"] = null;
  if (b !== undefined || i !== undefined) {
    const base = typeof b === "string" ? parseSnapshot(b) : null;
    if (!base || typeof i !== "string" || !/^\d{1,19}$/.test(i)) throw invalid();
    within = { base, lastId: BigInt(i) };
  }
  if (p !== undefined && (!Array.isArray(p) || p.length > 10_000 || !p.every((x) => typeof x === "string" && UUID.test(x)))) {
    throw invalid();
  }
  if (t < nowMs - retentionMs) {
    throw new CursorExpiredError(
      `This changes cursor is older than the change log keeps (${duration(retentionMs)}): ` +
        "read the list again and subscribe with its changesCursor.",
    );
  }
  return { snapshot, within, at: t, pending: (p as string[] | undefined) ?? [] };
}

const duration = (ms: number) => (ms >= 3_600_000 ? `${Math.round(ms / 360_000) / 10} h` : `${Math.round(ms / 60_000)} min`);

/** The plain cursor of a snapshot read together with a list (ExecutionConnection.changesCursor). */
export function cursorOfSnapshot(snapshot: string, atMs: number): string {
  const parsed = parseSnapshot(snapshot);
  if (!parsed) throw new Error(`Not a snapshot: ${snapshot}`);
  return encodeCursor({ snapshot: parsed, at: atMs, within: null, pending: [] });
}
