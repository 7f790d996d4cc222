// Snapshots and changes cursors (read/list-changes): parsing, visibility as PostgreSQL defines it,
// round trips, and refusal of anything a client could have made up.
import { describe, expect, it } from "vitest";
import { BadUserInputError, CursorExpiredError } from "../../../src/errors.ts";
import { cursorOfSnapshot, decodeCursor, encodeCursor, hasSeen, type Position } from "../../../src/read/list-changes/cursor.ts";
import { isVisible, parseSnapshot, type Snapshot } from "../../../src/read/list-changes/snapshot.ts";

const snap = (text: string) => parseSnapshot(text) as Snapshot;
const now = Date.now();
const decode = (cursor: string) => decodeCursor(cursor, { nowMs: now, retentionMs: 86_400_000 });
const raw = (body: unknown) => Buffer.from(JSON.stringify(body)).toString("base64url");

describe("snapshots", () => {
  it("parses PostgreSQL's text form and sees what pg_visible_in_snapshot sees", () => {
    const s = snap("100:105:101,103");
    expect([99n, 100n, 101n, 102n, 103n, 104n, 105n].map((x) => isVisible(x, s))).toEqual([
      true,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(isVisible(5n, snap("10:10:"))).toBe(true);
    expect(isVisible(10n, snap("10:10:"))).toBe(false);
  });

  it("refuses what PostgreSQL would never write", () => {
    for (const text of ["", "1:2", "5:1:", "1:5:7", "1:5:0", "a:b:", "1:5:2,,3", `1:${"9".repeat(21)}:`]) {
      expect(parseSnapshot(text)).toBeNull();
    }
  });
});

describe("changes cursors", () => {
  it("round-trip a plain position and one inside a read, pending updates included", () => {
    const plain = decode(cursorOfSnapshot("100:105:101", now));
    expect(plain).toMatchObject({ within: null, pending: [] });
    expect(plain.snapshot.text).toBe("100:105:101");
    const inside: Position = {
      snapshot: snap("110:112:"),
      at: now - 1000,
      within: { base: snap("100:105:101"), lastId: 42n },
      pending: ["0b7c6f2e-9f5a-4c1e-8d3b-2a1f0e9d8c7b"],
    };
    const back = decode(encodeCursor(inside));
    expect(back.within?.lastId).toBe(42n);
    expect(back.within?.base.text).toBe("100:105:101");
    expect(back.pending).toEqual(inside.pending);
    expect(back.at).toBe(inside.at);
  });

  it("inside a read, has seen what the base sees and the read's rows up to its last id", () => {
    const position: Position = { snapshot: snap("110:110:"), at: now, within: { base: snap("100:100:"), lastId: 7n }, pending: [] };
    expect(hasSeen(position, 99n, 100n)).toBe(true);
    expect(hasSeen(position, 105n, 7n)).toBe(true);
    expect(hasSeen(position, 105n, 8n)).toBe(false);
    expect(hasSeen(position, 110n, 1n)).toBe(false);
  });

  it("refuses a malformed, tampered or foreign cursor as BAD_USER_INPUT", () => {
    const bad = [
      "",
      "not a cursor!",
      raw([1, 2]),
      raw({ v: 2, s: "1:1:", t: now }),
      raw({ v: 1, s: "5:1:", t: now }),
      raw({ v: 1, s: "1:1:", t: "soon" }),
      raw({ v: 1, s: "1:1:", t: now, b: "1:1:" }),
      raw({ v: 1, s: "1:1:", t: now, b: "1:1:", i: "-1" }),
      raw({ v: 1, s: "1:1:", t: now, p: ["not-a-uuid"] }),
      Buffer.from("{").toString("base64url"),
    ];
    for (const cursor of bad) expect(() => decode(cursor), cursor).toThrow(BadUserInputError);
  });

  it("refuses a cursor older than the retention as CURSOR_EXPIRED", () => {
    expect(() => decode(cursorOfSnapshot("1:1:", now - 86_400_001))).toThrow(CursorExpiredError);
    expect(() => decode(cursorOfSnapshot("1:1:", now - 86_399_000))).not.toThrow();
  });
});
