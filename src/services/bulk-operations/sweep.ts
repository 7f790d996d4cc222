// Bulk operations whose worker died: their lease ran out while they were PENDING or RUNNING (a
// job that failed gives its lease back and is retried by the queue instead). Each is queued again
// with its own tenant; the new job resumes after the last marked target (process.ts).
import type { SqlRunner } from "../../engine/store/sql.ts";
import type { BulkQueueSql } from "./start.ts";

const SWEEP_LIMIT = 100;

export async function sweepBulkOperations(sql: Pick<SqlRunner, "query">, queue: BulkQueueSql, reservationMs: number) {
  const { rows } = await sql.query<{ id: string }>(
    `/* bulk:sweep */ WITH stale AS (
       SELECT id FROM "BulkOperation"
       WHERE status IN ('PENDING', 'RUNNING') AND "leaseExpiresAt" < now()
       ORDER BY "leaseExpiresAt" LIMIT ${SWEEP_LIMIT} FOR UPDATE SKIP LOCKED
     ), x AS (
       UPDATE "BulkOperation" b SET "leaseOwner" = NULL, "leaseExpiresAt" = now() + $1 * interval '1 millisecond'
       FROM stale WHERE b.id = stale.id
       RETURNING b.id, b."tenantId"
     )
     SELECT x.id, (${queue({ operation: "x.id", tenant: 'x."tenantId"' })}) IS NOT NULL AS queued FROM x`,
    [reservationMs],
  );
  return rows.length;
}
