// Deleting finished executions in bulk (bulk DELETE operations and retention): the rows go with
// their batches, steps, events and logs (foreign keys cascade), and the rollups count them and
// their steps out in the same statement, so statistics and totalCount forget a deleted run at
// once (README "Bulk operations": deleted runs leave the statistics). Retries of a deleted run
// keep running, with retryOf cleared. A run that is not finished is never deleted: its worker
// would be writing to rows that are gone.
import { FINISHED_EXECUTION_STATUSES } from "../engine/events.ts";
import { insertExecutionChanges } from "../engine/store/change-log.ts";
import { removedDeltas, removedStepDeltas } from "../engine/store/rollup.ts";

const FINISHED_SQL = FINISHED_EXECUTION_STATUSES.map((status) => `'${status}'`).join(", ");

/**
 * CTEs (to follow a WITH) that delete the executions of tenant `tenant` (an SQL expression)
 * whose ids the CTE `source` lists (column `id`) and that are finished: `d` holds the deleted rows
 * as they were; `rd` and `sd` take them out of the execution and step rollups; `dc` writes each
 * deletion to the change log with the row (without its large JSON), so that live lists see the run
 * leave (read/list-changes/).
 */
export function deleteFinishedCtes(source: string, tenant: string): string {
  return `d AS (
    DELETE FROM "Execution" e USING ${source}
    WHERE e.id = ${source}.id AND e."tenantId" = ${tenant}::uuid AND e.status IN (${FINISHED_SQL})
    RETURNING e.*
  ), rd AS (${removedDeltas("d")}
  ), sd AS (${removedStepDeltas("d")}
  ), dc AS (${insertExecutionChanges({
    from: "d",
    tenant: 'd."tenantId"',
    execution: "d.id",
    previousStatus: "d.status",
    previousErrorMessage: 'd."errorMessage"',
    status: "d.status",
    errorMessage: 'd."errorMessage"',
    deleted: "to_jsonb(d) - 'input' - 'output' - 'context'",
  })})`;
}
