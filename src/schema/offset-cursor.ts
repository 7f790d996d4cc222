// Cursors that are positions, for lists re-ranked or re-filtered on every request (workflowStats,
// workflowTemplates): a malformed one is the client's error (BAD_USER_INPUT).
import { BadUserInputError } from "../errors.ts";

export function encodeOffset(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

export function decodeOffset(cursor: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new BadUserInputError(`Invalid cursor: ${JSON.stringify(cursor)}`);
  return Number(match[1]);
}

/** A forwards-only page at `offset` of `totalCount` rows, as a Relay connection. */
export function offsetConnection<T>(rows: readonly T[], offset: number, totalCount: number) {
  const edges = rows.map((node, i) => ({ cursor: encodeOffset(offset + i), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: offset + rows.length < totalCount,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
