// The one read of the change log: the rows a position has not seen, up to a target snapshot
// (or, for the shared feed's poll, up to the statement's own snapshot), with the facts a filter
// looks at, and the statement's snapshot itself. The snapshot comes from the same statement as
// the rows, so the next read (from that snapshot) starts exactly where this one ended.
import type { RunFacts } from "./match.ts";

export type Query = <R extends Record<string, unknown>>(
  text: string,
  values?: unknown[],
  name?: string,
) => Promise<{ rows: R[] }>;

export type ChangeRow = RunFacts & {
  id: bigint;
  xid: bigint;
  executionId: string;
  /** null when the change created the execution. */
  previousStatus: string | null;
  previousErrorMessage: string | null;
  /** The change deleted the execution: it matches no filter after it. */
  deletion: boolean;
};

export type ChangeRead = {
  snapshot: string;
  nowMs: number;
  rows: ChangeRow[];
  /** Rows read, those left out included: fewer than the limit means nothing is left. */
  pageRows: number;
  /** The id of the last row read (those left out included), or null. */
  lastId: bigint | null;
};

// A deleted run's changes keep coming: its facts are read from the change that deleted it (which
// holds its row), for that change and for its earlier ones still in the log. A row whose execution
// is gone without such a change (deleted with its workflow) is left out.
// The rows are found through ("tenantId", xid) — whatever a snapshot does not see has an xid at
// or above its xmin — and only then ordered by id: ordered by the primary key, with LIMIT, the
// planner may walk the whole log from its first id instead.
const READ_CHANGES = `/* list-changes:read */
  WITH unseen AS MATERIALIZED (
    SELECT c.id, c.xid, c."executionId", c."previousStatus", c.status, c."previousErrorMessage", c."errorMessage",
      c.deleted IS NOT NULL AS deletion
    FROM "ExecutionChange" c
    WHERE c."tenantId" = $1::uuid AND c.xid >= pg_snapshot_xmin($2::pg_snapshot)
      AND NOT pg_visible_in_snapshot(c.xid, $2::pg_snapshot)
      AND ($3::pg_snapshot IS NULL OR pg_visible_in_snapshot(c.xid, $3::pg_snapshot))
      AND c.id > $4::bigint
  ), page AS (
    SELECT * FROM unseen ORDER BY id LIMIT $5
  )
  SELECT s.snapshot, s."nowMs", s."pageRows", s."pageLastId", c.* FROM (
    SELECT pg_current_snapshot()::text AS snapshot, (extract(epoch from statement_timestamp()) * 1000)::float8 AS "nowMs",
      (SELECT count(*)::int FROM page) AS "pageRows", (SELECT max(id) FROM page) AS "pageLastId"
  ) s LEFT JOIN LATERAL (
    SELECT c.id, c.xid::text AS xid, c."executionId", c."previousStatus"::text AS "previousStatus", c.status::text AS status,
      c."previousErrorMessage", c."errorMessage", c.deletion, f."workflowId", w.name AS "workflowName", f."triggerSource",
      f."triggerEvent", f."startedById", f."externalId", f."createdAt"
    FROM page c
    -- The run's facts: its row, or (gone) the row its deletion kept. The second is read only
    -- when the first finds nothing (LIMIT 1 over UNION ALL).
    JOIN LATERAL (
      SELECT e."workflowId", e."triggerSource"::text AS "triggerSource", e."triggerEvent", e."startedById",
        e."externalId", e."createdAt"
      FROM "Execution" e WHERE e.id = c."executionId" AND e."tenantId" = $1::uuid
      UNION ALL
      SELECT (d.deleted->>'workflowId')::uuid, d.deleted->>'triggerSource', d.deleted->>'triggerEvent',
        d.deleted->>'startedById', d.deleted->>'externalId', (d.deleted->>'createdAt')::timestamptz
      FROM "ExecutionChange" d
      WHERE d."tenantId" = $1::uuid AND d."executionId" = c."executionId" AND d.deleted IS NOT NULL
      LIMIT 1
    ) f ON true
    JOIN "Workflow" w ON w.id = f."workflowId"
  ) c ON true
  ORDER BY c.id`;

const SNAPSHOT_NOW = `/* list-changes:snapshot */
  SELECT pg_current_snapshot()::text AS snapshot, (extract(epoch from statement_timestamp()) * 1000)::float8 AS "nowMs"`;

/**
 * Rows not visible in `base` (and, when `target` is given, visible in it) with id > `afterId`,
 * by id, at most `limit`.
 */
export async function readChanges(
  query: Query,
  args: { tenantId: string; base: string; target: string | null; afterId: bigint; limit: number },
): Promise<ChangeRead> {
  const { rows } = await query<Record<string, unknown>>(
    READ_CHANGES,
    [args.tenantId, args.base, args.target, args.afterId.toString(), args.limit],
    "list_changes_read",
  );
  const first = rows[0] as Record<string, unknown>;
  return {
    snapshot: first["snapshot"] as string,
    nowMs: first["nowMs"] as number,
    pageRows: first["pageRows"] as number,
    lastId: first["pageLastId"] === null ? null : BigInt(first["pageLastId"] as string),
    rows: rows
      .filter((r) => r["id"] !== null)
      .map((r) => ({
        id: BigInt(r["id"] as string),
        xid: BigInt(r["xid"] as string),
        executionId: r["executionId"] as string,
        previousStatus: r["previousStatus"] as string | null,
        status: r["status"] as string,
        previousErrorMessage: r["previousErrorMessage"] as string | null,
        errorMessage: r["errorMessage"] as string | null,
        deletion: r["deletion"] as boolean,
        workflowId: r["workflowId"] as string,
        workflowName: r["workflowName"] as string,
        triggerSource: r["triggerSource"] as string,
        triggerEvent: r["triggerEvent"] as string | null,
        startedById: r["startedById"] as string,
        externalId: r["externalId"] as string | null,
        createdAt: r["createdAt"] as Date,
      })),
  };
}

export async function snapshotNow(query: Query): Promise<{ snapshot: string; nowMs: number }> {
  const { rows } = await query<{ snapshot: string; nowMs: number }>(SNAPSHOT_NOW, [], "list_changes_snapshot");
  return rows[0] as { snapshot: string; nowMs: number };
}
