// What each kind of bulk operation acts on: only the executions it can apply to are targeted (a
// CANCEL never targets a finished run), so `total` and the dry run count what would be tried.
import { $Enums, type BulkOperationKind, type ExecutionStatus } from "@prisma/client";
import { FINISHED_EXECUTION_STATUSES, isFinishedExecution, RETRYABLE_EXECUTION_STATUSES } from "../../engine/events.ts";
import type { ExecutionFilter } from "../../read/execution-filter.ts";

export type { BulkOperationKind };

/** Every status a run may be in before it finishes (PENDING, RUNNING, and any added later). */
const OPEN_STATUSES = Object.values($Enums.ExecutionStatus).filter((status) => !isFinishedExecution(status));

export const TARGET_STATUSES: Record<BulkOperationKind, readonly ExecutionStatus[]> = {
  CANCEL: OPEN_STATUSES,
  RETRY: RETRYABLE_EXECUTION_STATUSES,
  DELETE: FINISHED_EXECUTION_STATUSES,
};

/** The filter narrowed to the statuses the kind applies to; null when no status is left (nothing matches). */
export function targetFilter(kind: BulkOperationKind, filter: ExecutionFilter | null): ExecutionFilter | null {
  const allowed = TARGET_STATUSES[kind];
  const status = filter?.status ? filter.status.filter((s) => allowed.includes(s)) : [...allowed];
  return status.length === 0 ? null : { ...filter, status };
}
