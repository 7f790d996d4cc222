// The change log of executions (table "ExecutionChange"), written in the same statement as every
// change of an execution row so that live list views (src/read/list-changes/) can tell what
// changed, in which transaction (`xid` defaults to the writer's transaction id), and whether the
// run matched a filter before. One builder, used by every statement of the store that changes
// an execution: create, commit (group commit included), cancel and delete.

export type ChangeRowSql = {
  /** FROM clause (and joins) that yields one row per changed execution. */
  from: string;
  tenant: string;
  execution: string;
  /** SQL expressions of the status and error message before the change (NULL on create). */
  previousStatus: string;
  previousErrorMessage: string;
  status: string;
  errorMessage: string;
  /** For a deletion: the row as it was (jsonb), what a list needs of a run that is gone. */
  deleted?: string;
};

/** An INSERT of one change row per row of `from`, for use as a data-modifying CTE. */
export const insertExecutionChanges = (c: ChangeRowSql) => `
  INSERT INTO "ExecutionChange" ("tenantId", "executionId", "previousStatus", status, "previousErrorMessage", "errorMessage", deleted)
  SELECT ${c.tenant}, ${c.execution}, ${c.previousStatus}, ${c.status}, ${c.previousErrorMessage}, ${c.errorMessage}, ${c.deleted ?? "NULL::jsonb"}
  FROM ${c.from}`;

/**
 * Deletes change rows older than `olderThanMs` (at most `limit` of them): what a changes cursor of
 * that age would still need is gone, and such a cursor is refused (see read/list-changes/cursor.ts).
 */
export const PRUNE_CHANGES = `/* engine:prune-changes */
  DELETE FROM "ExecutionChange" WHERE id IN (
    SELECT id FROM "ExecutionChange" WHERE at < now() - $1 * interval '1 millisecond' LIMIT $2)`;
