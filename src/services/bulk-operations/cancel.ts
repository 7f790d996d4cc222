// Cancelling a bulk operation: it stops where it is. What was done stays done (every target is
// acted on and marked in one transaction, process.ts); nothing more is: the worker's next action
// finds the operation no longer RUNNING in that transaction and undoes itself, a DELETE chunk
// finds nothing to take, and the sweeper never queues a cancelled operation again.
import type { Actor } from "../../engine/events.ts";
import { InvalidStateError, NotFoundError } from "../../errors.ts";
import { isUuid } from "../stats/scope.ts";
import { type BulkOperationServices, checkReason } from "./start.ts";

const CANCEL = `/* bulk:cancel */ UPDATE "BulkOperation"
  SET status = 'CANCELLED', "completedAt" = now(), error = $3, "leaseOwner" = NULL, "leaseExpiresAt" = NULL
  WHERE id = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')
  RETURNING id`;

/** Cancels a pending or running operation of the caller's tenant; returns its id. */
export async function cancelBulkOperation(
  s: Pick<BulkOperationServices, "db" | "sql">,
  actor: Actor,
  input: { id: string; reason?: string | null },
): Promise<{ id: string }> {
  checkReason(input.reason);
  const reason = input.reason?.trim();
  // Kept where an operation says why it stopped before the end.
  const why = `Cancelled by ${actor.name ?? actor.id}${reason ? `: ${reason}` : ""}`;
  if (!isUuid(input.id)) throw new NotFoundError("BulkOperation", input.id);
  const { rowCount } = await s.sql.query(CANCEL, [input.id, s.db.$tenantId, why]);
  if (rowCount === 1) return { id: input.id };
  const op = await s.db.bulkOperation.findFirst({ where: { id: input.id }, select: { status: true } });
  if (!op) throw new NotFoundError("BulkOperation", input.id);
  throw new InvalidStateError(`The bulk operation is ${op.status}; only a pending or running one can be cancelled`);
}
