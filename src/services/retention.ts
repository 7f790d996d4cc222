// Retention (README "Retention"): finished executions that completed longer ago than the policy
// are deleted with their batches, steps, events and logs, a batch at a time per tenant (each
// statement short, naming its tenant), by the worker on a schedule or by `npm run retention`.
// A run that is not finished is never deleted, nor one whose automatic retry is still scheduled.
// The rollups count deleted runs out, as for deleteExecution: statistics cover the runs that are
// kept (delete-executions.ts).
import type { SqlRunner } from "../engine/store/sql.ts";
import { FINISHED_EXECUTION_STATUSES } from "../engine/events.ts";
import { deleteFinishedCtes } from "./delete-executions.ts";

type Sql = Pick<SqlRunner, "query">;

export const DAY_MS = 86_400_000;

const EXPIRED = `e."tenantId" = $1::uuid AND e."completedAt" < $2 AND e.status = ANY($3::"ExecutionStatus"[])
  AND e."nextRetryAt" IS NULL`;

export type RetentionPreview = {
  tenant: string;
  count: number;
  byStatus: Record<string, number>;
  oldest: Date | null;
  newest: Date | null;
}[];

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
    if (rows.length === 0) continue;
    out.push({
      tenant: tenant.slug,
      count: rows.reduce((sum, r) => sum + r.n, 0),
      byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])),
      oldest: new Date(Math.min(...rows.map((r) => r.oldest.getTime()))),
      newest: new Date(Math.max(...rows.map((r) => r.newest.getTime()))),
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

/** Deletes every expired run, a batch per statement; returns how many went. */
export async function applyRetention(sql: Sql, options: RetentionOptions): Promise<number> {
  let total = 0;
  for (const tenant of await tenants(sql)) {
    for (;;) {
      if (options.signal?.aborted) return total;
      // SKIP LOCKED: two workers passing at once take different runs, never wait on each other.
      const { rows } = await sql.query<{ n: number }>(
        `/* retention:delete */ WITH t AS (
           SELECT e.id FROM "Execution" e WHERE ${EXPIRED}
           ORDER BY e."completedAt" LIMIT $4 FOR UPDATE SKIP LOCKED
         ), ${deleteFinishedCtes("t", "$1")}
         SELECT count(*)::int AS n FROM d`,
        [tenant.id, options.olderThan, FINISHED_EXECUTION_STATUSES, options.batchSize],
      );
      const n = rows[0]?.n ?? 0;
      total += n;
      if (n > 0) options.onBatch?.(tenant.slug, n);
      if (n < options.batchSize) break;
    }
  }
  return total;
}
