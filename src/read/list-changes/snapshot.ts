// PostgreSQL snapshots (`pg_current_snapshot()`, text form "xmin:xmax:xip,xip,…") in JavaScript:
// parsed once, compared with the xid8 of a change row exactly as pg_visible_in_snapshot does.

export type Snapshot = { readonly text: string; readonly xmin: bigint; readonly xmax: bigint; readonly xip: ReadonlySet<bigint> };

const SNAPSHOT = /^(\d{1,20}):(\d{1,20}):((?:\d{1,20}(?:,\d{1,20})*)?)$/;
const MAX_XID8 = 2n ** 64n - 1n;

/** null when `text` is not a snapshot PostgreSQL could have written. */
export function parseSnapshot(text: string): Snapshot | null {
  const m = SNAPSHOT.exec(text);
  if (!m) return null;
  const xmin = BigInt(m[1] as string);
  const xmax = BigInt(m[2] as string);
  const xip = m[3] ? (m[3] as string).split(",").map(BigInt) : [];
  if (xmax > MAX_XID8 || xmin > xmax || xip.some((x) => x < xmin || x >= xmax)) return null;
  return { text, xmin, xmax, xip: new Set(xip) };
}

/** Whether the transaction `xid` had committed when the snapshot was taken (pg_visible_in_snapshot). */
export function isVisible(xid: bigint, snapshot: Snapshot): boolean {
  return xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.xip.has(xid));
}
