// Retention (README "Retention"): finished executions that completed longer ago than the policy
// are deleted with their batches, steps, events and logs, a batch at a time per tenant (each
// statement short, naming its tenant), by the worker on a schedule or by `npm run retention`.
// A run that is not finished is never deleted, nor one whose automatic retry is still scheduled.
// The rollups count deleted runs out, as for deleteExecution: statistics cover the runs that are
// kept (delete-executions.ts). The same window applies to what is kept about runs besides them:
// emitEvent's idempotency records (a key is remembered as long as runs are, like startExecution's
// keys, which live on their runs) and finished bulk operations with their targets.
import type { SqlRunner } from "../engine/store/sql.ts";
import { FINISHED_EXECUTION_STATUSES } from "../engine/events.ts";
import { deleteFinishedCtes } from "./delete-executions.ts";

type Sql = Pick<SqlRunner, "query">;

export const DAY_MS = 86_400_000;

const EXPIRED = `e."tenantId" = $1::uuid AND e."completedAt" < $2 AND e.status = ANY($3::"ExecutionStatus"[])
  AND e."nextRetryAt" IS NULL`;

// emitEvent's records, by when the event was emitted.
const EXPIRED_EMISSION = `x."tenantId" = $1::uuid AND x."createdAt" < $2`;
// Finished bulk operations; createdAt (never after completedAt) lets the tenant's index narrow them.
const EXPIRED_BULK = `x."tenantId" = $1::uuid AND x."createdAt" < $2 AND x."completedAt" < $2
  AND x.status IN ('COMPLETED', 'FAILED', 'CANCELLED')`;

export type RetentionPreview = {
  tenant: string;
  /** Executions, by status, and the range of their completion times. */
  count: number;
  byStatus: Record<string, number>;
  oldest: Date | null;
  newest: Date | null;
  /** emitEvent idempotency records (their keys are then new again). */
  emissions: number;
  /** Finished bulk operations, with their targets. */
  bulkOperations: number;
}[];

export type RetentionResult = { executions: number; emissions: number; bulkOperations: number };

async function tenants(sql: Sql) {
  const { rows } = await sql.query<{ id: string; slug: string }>(`/* retention:tenants */ SELECT id, slug FROM "Tenant" ORDER BY slug`);
  return rows;
}

/** What a pass would delete now: per tenant, how many runs by status and their completion range. */
export async function previewRetention(sql: Sql, olderThan: Date): Promise<RetentionPreview> {
  const out: RetentionPreview = [];
  for (const tenant of await tenants(sql)) {
    const { rows } = await sql.query<{ status: string; n: number; oldest: Date; newest: Date }>(
      `/* retention:preview */ SELECT e.status::text AS status, count(*)::int AS n, min(e."completedAt") AS oldest,
         max(e."completedAt") AS newest
       FROM "Execution" e WHERE ${EXPIRED} GROUP BY 1 ORDER BY 1`,
      [tenant.id, olderThan, FINISHED_EXECUTION_STATUSES],
    );
    const { rows: others } = await sql.query<{ emissions: number; bulk: number }>(
      `/* retention:preview-records */ SELECT
         (SELECT count(*)::int FROM "EventEmission" x WHERE ${EXPIRED_EMISSION}) AS emissions,
         (SELECT count(*)::int FROM "BulkOperation" x WHERE ${EXPIRED_BULK}) AS bulk`,
      [tenant.id, olderThan],
    );
    const { emissions = 0, bulk = 0 } = others[0] ?? {};
    if (rows.length === 0 && emissions === 0 && bulk === 0) continue;
    out.push({
      tenant: tenant.slug,
      count: rows.reduce((sum, r) => sum + r.n, 0),
      byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      oldest: rows.length > 0 ? new Date(Math.min(...rows.map((r) => r.oldest.getTime()))) : null,
      newest: rows.length > 0 ? new Date(Math.max(...rows.map((r) => r.newest.getTime()))) : null,
      emissions,
      bulkOperations: bulk,
    });
  }
  return out;
}

export type RetentionOptions = {
  olderThan: Date;
  /** Executions per statement. */
  batchSize: number;
  signal?: AbortSignal;
  /** Told after every batch (the CLI prints progress). */
  onBatch?: (tenant: string, deleted: number) => void;
};

/** Deletes every expired run, then the expired records, a batch per statement; returns how many of each went. */
export async function applyRetention(sql: Sql, options: RetentionOptions): Promise<RetentionResult> {
  const result: RetentionResult = { executions: 0, emissions: 0, bulkOperations: 0 };
  for (const tenant of await tenants(sql)) {
    // SKIP LOCKED: two workers passing at once take different rows, never wait on each other.
    const executions = await inBatches(options, tenant.slug, () =>
      sql.query<{ n: number }>(
        `/* retention:delete */ WITH t AS (
           SELECT e.id FROM "Execution" e WHERE ${EXPIRED}
           ORDER BY e."completedAt" LIMIT $4 FOR UPDATE SKIP LOCKED
         ), ${deleteFinishedCtes("t", "$1")}
         SELECT count(*)::int AS n FROM d`,
        [tenant.id, options.olderThan, FINISHED_EXECUTION_STATUSES, options.batchSize],
      ),
    );
    const emissions = await inBatches(options, null, () =>
      sql.query<{ n: number }>(
        `/* retention:delete-emissions */ WITH d AS (
           DELETE FROM "EventEmission" WHERE id IN (
             SELECT x.id FROM "EventEmission" x WHERE ${EXPIRED_EMISSION} LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [tenant.id, options.olderThan, options.batchSize],
      ),
    );
    // Targets go with their operation (foreign key, on delete cascade).
    const bulkOperations = await inBatches(options, null, () =>
      sql.query<{ n: number }>(
        `/* retention:delete-bulk-operations */ WITH d AS (
           DELETE FROM "BulkOperation" WHERE id IN (
             SELECT x.id FROM "BulkOperation" x WHERE ${EXPIRED_BULK} LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [tenant.id, options.olderThan, options.batchSize],
      ),
    );
    result.executions += executions;
    result.emissions += emissions;
    result.bulkOperations += bulkOperations;
    if (options.signal?.aborted) break;
  }
  return result;
}

/** Runs `deleteBatch` until a batch is short (or the pass is stopped); returns how many rows went. */
async function inBatches(
  options: RetentionOptions,
  reportAs: string | null,
  deleteBatch: () => Promise<{ rows: { n: number }[] }>,
): Promise<number> {
  let total = 0;
  for (;;) {
    if (options.signal?.aborted) return total;
    const n = (await deleteBatch()).rows[0]?.n ?? 0;
    total += n;
    if (n > 0 && reportAs !== null) options.onBatch?.(reportAs, n);
    if (n < options.batchSize) return total;
  }
}
