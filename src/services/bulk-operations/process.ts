// Processing a bulk operation, in the worker: its targets a chunk at a time, each action in a
// transaction of its own that also marks the target done (and counts it), so that a worker that
// dies anywhere leaves every execution either acted on and marked, or neither. Whoever resumes
// (the sweeper queues the operation again once its lease ran out) skips what is marked and never
// acts on an execution twice; once cancelled (cancel.ts), it acts on none. CANCEL and RETRY go
// through the same services as the single mutations (events, rollups and the change log stay
// right); DELETE deletes a chunk of finished runs in one statement that marks them too.
import type { TenantDb } from "../../db/tenant-scope.ts";
import type { Actor, ActorKind } from "../../engine/events.ts";
import type { Session, SqlRunner } from "../../engine/store/sql.ts";
import type { Alongside } from "../../engine/store/store.ts";
import { AppError } from "../../errors.ts";
import { deleteFinishedCtes } from "../delete-executions.ts";
import { cancelExecution, type ExecutionServices, retryExecution } from "../executions.ts";
import type { BulkOperationKind } from "./kinds.ts";

export type BulkProcessDeps = {
  sql: SqlRunner;
  scoped: (tenantId: string) => TenantDb;
  executions: Omit<ExecutionServices, "db">;
  /** Targets per chunk: each chunk renews the lease and reports progress. */
  chunkSize: number;
  /** A pause between chunks, leaving the database to other work. */
  pauseMs: number;
  leaseMs: number;
  /** Who holds the lease while this process works (unique per worker process). */
  owner: string;
  /** Told after every chunk and at the end (progress for subscribers). */
  onProgress?: (operationId: string) => void;
  signal?: AbortSignal;
};

type Claimed = {
  kind: BulkOperationKind;
  reason: string | null;
  createdByKind: ActorKind;
  createdByName: string | null;
  createdById: string;
};

/** Who started the operation: each cancel and retry is recorded as theirs, as the single mutation would. */
const startedBy = (op: Claimed): Actor => ({ kind: op.createdByKind, id: op.createdById, name: op.createdByName });

/**
 * The mark of one target, in the action's transaction; no row means someone marked it first, or
 * the operation was cancelled. The operation's row is locked first, so a cancel and a mark are
 * ordered: a cancel that committed first is seen, and then nothing is marked or counted.
 */
const MARK = `/* bulk:mark */
  WITH held AS (
    SELECT id FROM "BulkOperation" WHERE id = $1::uuid AND status = 'RUNNING' FOR UPDATE
  ), m AS (
    UPDATE "BulkOperationTarget" SET outcome = $3, error = $4, "resultId" = $5::uuid, "processedAt" = now()
    WHERE "operationId" = (SELECT id FROM held) AND "executionId" = $2::uuid AND outcome IS NULL
    RETURNING outcome
  )
  UPDATE "BulkOperation" o SET processed = processed + 1,
    succeeded = succeeded + (m.outcome = 'SUCCEEDED')::int, failed = failed + (m.outcome = 'FAILED')::int
  FROM m WHERE o.id = $1::uuid
  RETURNING o.id`;

/** Thrown inside an action's transaction when its target was marked meanwhile (or the operation cancelled): the action is undone. */
class AlreadyMarked extends Error {}

async function mark(
  tx: Pick<Session, "query">,
  operationId: string,
  executionId: string,
  outcome: { ok: true; resultId?: string } | { ok: false; error: string },
): Promise<boolean> {
  const { rowCount } = await tx.query(MARK, [
    operationId,
    executionId,
    outcome.ok ? "SUCCEEDED" : "FAILED",
    outcome.ok ? null : outcome.error,
    outcome.ok ? (outcome.resultId ?? null) : null,
  ]);
  return rowCount === 1;
}

/** Works on the operation until it is done, its lease is lost, or `signal` aborts. */
export async function processBulkOperation(deps: BulkProcessDeps, tenantId: string, operationId: string): Promise<void> {
  const claimed = await claim(deps, tenantId, operationId);
  if (!claimed) return;
  deps.onProgress?.(operationId);
  let after = "00000000-0000-0000-0000-000000000000";
  // Renewed after every chunk, and within a chunk every third of the lease (a slow chunk must not
  // look like a dead worker to the sweeper).
  let renewedAt = Date.now();
  const keepLease = async () => {
    renewedAt = Date.now();
    return renew(deps, tenantId, operationId);
  };
  for (;;) {
    if (deps.signal?.aborted) return handBack(deps, tenantId, operationId);
    if (claimed.kind === "DELETE") {
      const last = await deleteChunk(deps, tenantId, operationId, after);
      if (last === null) break;
      after = last;
    } else {
      const { rows } = await deps.sql.query<{ executionId: string }>(
        `/* bulk:chunk */ SELECT "executionId" FROM "BulkOperationTarget"
         WHERE "operationId" = $1::uuid AND "executionId" > $2::uuid AND outcome IS NULL
         ORDER BY "executionId" LIMIT $3`,
        [operationId, after, deps.chunkSize],
      );
      if (rows.length === 0) break;
      for (const { executionId } of rows) {
        if (deps.signal?.aborted) return handBack(deps, tenantId, operationId);
        if (Date.now() - renewedAt > deps.leaseMs / 3 && !(await keepLease())) return;
        // Refused: marked by someone else, or the operation was cancelled (then the lease is gone too).
        if (!(await actOn(deps, tenantId, operationId, claimed, executionId)) && !(await keepLease())) return;
      }
      after = (rows.at(-1) as { executionId: string }).executionId;
    }
    if (!(await keepLease())) return;
    deps.onProgress?.(operationId);
    if (deps.pauseMs > 0) await sleep(deps.pauseMs, deps.signal);
  }
  await deps.sql.query(
    `/* bulk:complete */ UPDATE "BulkOperation" SET status = 'COMPLETED', "completedAt" = now(), "leaseOwner" = NULL,
       "leaseExpiresAt" = NULL
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3 AND status = 'RUNNING'`,
    [operationId, tenantId, deps.owner],
  );
  deps.onProgress?.(operationId);
}

/** Ends an operation that cannot go on (its job failed for good); what was done stays done. */
export async function failBulkOperation(deps: Pick<BulkProcessDeps, "sql">, tenantId: string, operationId: string, error: string) {
  await deps.sql.query(
    `/* bulk:fail */ UPDATE "BulkOperation" SET status = 'FAILED', error = $3, "completedAt" = now(), "leaseOwner" = NULL,
       "leaseExpiresAt" = NULL
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')`,
    [operationId, tenantId, error.slice(0, 1000)],
  );
}

/**
 * Stopped on purpose (the worker is shutting down): the lease is given back as already expired,
 * so that the next sweep of any worker queues the operation again at once.
 */
async function handBack(deps: BulkProcessDeps, tenantId: string, operationId: string): Promise<void> {
  await deps.sql.query(
    `/* bulk:hand-back */ UPDATE "BulkOperation" SET "leaseOwner" = NULL, "leaseExpiresAt" = now()
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3`,
    [operationId, tenantId, deps.owner],
  );
}

/** Gives the lease back so that the job's own retry (not the sweeper) runs it again. */
export async function releaseBulkOperation(deps: Pick<BulkProcessDeps, "sql" | "owner">, tenantId: string, operationId: string) {
  await deps.sql.query(
    `/* bulk:release */ UPDATE "BulkOperation" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3`,
    [operationId, tenantId, deps.owner],
  );
}

async function claim(deps: BulkProcessDeps, tenantId: string, operationId: string): Promise<Claimed | null> {
  const { rows } = await deps.sql.query<Claimed>(
    `/* bulk:claim */ UPDATE "BulkOperation" SET status = 'RUNNING', "leaseOwner" = $3,
       "leaseExpiresAt" = now() + $4 * interval '1 millisecond'
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')
       AND ("leaseOwner" IS NULL OR "leaseOwner" = $3 OR "leaseExpiresAt" < now())
     RETURNING kind::text AS kind, reason, "createdByKind", "createdByName", "createdById"`,
    [operationId, tenantId, deps.owner, deps.leaseMs],
  );
  return rows[0] ?? null;
}

async function renew(deps: BulkProcessDeps, tenantId: string, operationId: string): Promise<boolean> {
  const { rowCount } = await deps.sql.query(
    `/* bulk:renew */ UPDATE "BulkOperation" SET "leaseExpiresAt" = now() + $4 * interval '1 millisecond'
     WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3 AND status = 'RUNNING'`,
    [operationId, tenantId, deps.owner, deps.leaseMs],
  );
  return rowCount === 1;
}

/**
 * One CANCEL or RETRY: the service call with the mark alongside (one transaction). A typed refusal
 * (the run finished meanwhile, it is gone) changed nothing: the target is marked FAILED with it.
 * False when the mark was refused (nothing was done).
 */
async function actOn(
  deps: BulkProcessDeps,
  tenantId: string,
  operationId: string,
  op: Claimed,
  executionId: string,
): Promise<boolean> {
  const s = { ...deps.executions, db: deps.scoped(tenantId) };
  let resultId: string | undefined;
  const alongside: Alongside = async (tx, execution) => {
    if (op.kind === "RETRY") resultId = execution.id;
    if (!(await mark(tx, operationId, executionId, { ok: true, ...(resultId ? { resultId } : {}) }))) throw new AlreadyMarked();
  };
  try {
    if (op.kind === "CANCEL") {
      await cancelExecution(s, startedBy(op), { id: executionId, reason: op.reason ?? "bulk cancel" }, alongside);
    } else {
      await retryExecution(s, startedBy(op), { id: executionId }, alongside);
    }
  } catch (error) {
    if (error instanceof AlreadyMarked) return false;
    if (!(error instanceof AppError)) throw error;
    return mark(deps.sql, operationId, executionId, { ok: false, error: error.message });
  }
  return true;
}

/**
 * One chunk of a DELETE in one statement: the finished targets are deleted (rollups counted out),
 * every target of the chunk is marked and counted. Returns the chunk's last execution id; null
 * when nothing was left, or the operation is no longer RUNNING (cancelled: the row lock taken
 * first orders the chunk and the cancel).
 */
async function deleteChunk(deps: BulkProcessDeps, tenantId: string, operationId: string, after: string) {
  const { rows } = await deps.sql.query<{ last: string | null }>(
    `/* bulk:delete */ WITH op AS (
       SELECT id FROM "BulkOperation" WHERE id = $1::uuid AND "tenantId" = $2::uuid AND status = 'RUNNING' FOR UPDATE
     ), t AS (
       SELECT "executionId" AS id FROM "BulkOperationTarget"
       WHERE "operationId" = (SELECT id FROM op) AND "executionId" > $3::uuid AND outcome IS NULL
       ORDER BY "executionId" LIMIT $4 FOR UPDATE
     ), ${deleteFinishedCtes("t", "$2")}, m AS (
       UPDATE "BulkOperationTarget" bt
       SET outcome = CASE WHEN d.id IS NOT NULL THEN 'SUCCEEDED' ELSE 'FAILED' END,
         error = CASE WHEN d.id IS NOT NULL THEN NULL WHEN e.id IS NULL THEN 'The execution no longer exists'
           ELSE 'The execution is ' || e.status || '; only a finished one can be deleted' END,
         "processedAt" = now()
       FROM t LEFT JOIN d ON d.id = t.id LEFT JOIN "Execution" e ON e.id = t.id AND e."tenantId" = $2::uuid
       WHERE bt."operationId" = $1::uuid AND bt."executionId" = t.id
       RETURNING bt.outcome
     ), o AS (
       UPDATE "BulkOperation" SET processed = processed + (SELECT count(*) FROM m),
         succeeded = succeeded + (SELECT count(*) FROM m WHERE outcome = 'SUCCEEDED'),
         failed = failed + (SELECT count(*) FROM m WHERE outcome = 'FAILED')
       WHERE id = $1::uuid AND "tenantId" = $2::uuid
       RETURNING id
     )
     SELECT (SELECT id FROM t ORDER BY id DESC LIMIT 1)::text AS last, (SELECT count(*) FROM o) AS counted`,
    [operationId, tenantId, after, deps.chunkSize],
  );
  return rows[0]?.last ?? null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
