// Starting a bulk operation: the dry run counts and samples what it would act on and writes
// nothing; a real one records the operation and the executions it acts on (fixed now: runs that
// match later are not added) and queues its job, in one transaction. The worker does the rest
// (process.ts).
import { randomUUID } from "node:crypto";
import type { TenantDb } from "../../db/tenant-scope.ts";
import type { Actor } from "../../engine/events.ts";
import type { SqlRunner } from "../../engine/store/sql.ts";
import { countExecutions } from "../../read/execution-count.ts";
import { type ExecutionFilter, executionFilterSql, executionWhere } from "../../read/execution-filter.ts";
import { createSqlParams } from "../../read/sql-params.ts";
import { ValidationError } from "../../errors.ts";
import { type BulkOperationKind, targetFilter } from "./kinds.ts";

/** The SQL expression that queues an operation's job (jobs/queue.ts owns it). */
export type BulkQueueSql = (args: { operation: string; tenant: string }) => string;

export type BulkOperationServices = {
  db: TenantDb;
  /** Statements and transactions on the engine's pool. */
  sql: SqlRunner;
  queue: BulkQueueSql;
  /** How long a new operation may wait for its job before the sweeper queues it again. */
  leaseMs: number;
};

export type BulkRequest = {
  kind: BulkOperationKind;
  /** The read layer's filter (global IDs decoded). */
  filter: ExecutionFilter | null;
  /** The filter as the client gave it, kept on the operation. */
  filterJson: unknown;
  reason?: string | null;
};

export const SAMPLE_SIZE = 10;
export const MAX_REASON_LENGTH = 1_000;

/** The dry run: how many executions the operation would act on, and the newest few of them. */
export async function previewBulkOperation(s: Pick<BulkOperationServices, "db" | "sql">, request: BulkRequest) {
  checkReason(request.reason);
  const filter = targetFilter(request.kind, request.filter);
  if (!filter) return { total: 0, sampleIds: [] as string[] };
  const [total, sample] = await Promise.all([
    countExecutions(s.sql.query, s.db.$tenantId, filter),
    s.db.execution.findMany({
      where: executionWhere(filter),
      select: { id: true },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: SAMPLE_SIZE,
    }),
  ]);
  return { total, sampleIds: sample.map((row) => row.id) };
}

/** Records the operation with its targets and queues its job; returns its id. */
export async function startBulkOperation(s: BulkOperationServices, actor: Actor, request: BulkRequest) {
  checkReason(request.reason);
  const id = randomUUID();
  const tenantId = s.db.$tenantId;
  const filter = targetFilter(request.kind, request.filter);
  await s.sql.transaction(async (tx) => {
    await tx.query(
      `/* bulk:create */ INSERT INTO "BulkOperation" (id, "tenantId", kind, filter, reason, total, "createdByKind",
         "createdById", "createdByName", "leaseExpiresAt")
       VALUES ($1::uuid, $2::uuid, $3::"BulkOperationKind", $4::jsonb, $5, 0, $6::"ActorKind", $7, $8, now() + $9 * interval '1 millisecond')`,
      [
        id,
        tenantId,
        request.kind,
        JSON.stringify(request.filterJson ?? {}),
        request.reason?.trim() || null,
        actor.kind,
        actor.id,
        actor.name,
        s.leaseMs,
      ],
    );
    let total = 0;
    if (filter) {
      const params = createSqlParams();
      const op = params.add(id);
      const tenant = params.add(tenantId);
      const inserted = await tx.query(
        `/* bulk:targets */ INSERT INTO "BulkOperationTarget" ("operationId", "executionId", "tenantId")
         SELECT ${op}::uuid, e.id, e."tenantId" FROM "Execution" e
         WHERE e."tenantId" = ${tenant}::uuid AND ${executionFilterSql(filter, params, tenant)}`,
        params.values,
      );
      total = inserted.rowCount ?? 0;
    }
    // Nothing to do: finished at once, no job.
    await tx.query(
      `/* bulk:total */ UPDATE "BulkOperation" SET total = $2,
         status = CASE WHEN $2 = 0 THEN 'COMPLETED'::"BulkOperationStatus" ELSE status END,
         "completedAt" = CASE WHEN $2 = 0 THEN now() END,
         "leaseExpiresAt" = CASE WHEN $2 = 0 THEN NULL ELSE "leaseExpiresAt" END
       WHERE id = $1::uuid AND "tenantId" = $3::uuid`,
      [id, total, tenantId],
    );
    if (total > 0) await tx.query(`/* bulk:queue */ SELECT ${s.queue({ operation: "$1::uuid", tenant: "$2::uuid" })}`, [id, tenantId]);
  });
  return { id };
}

export function checkReason(reason: string | null | undefined) {
  if (reason && reason.length > MAX_REASON_LENGTH) {
    throw new ValidationError([{ path: ["reason"], message: `must be at most ${MAX_REASON_LENGTH} characters` }]);
  }
}
