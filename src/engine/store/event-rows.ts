// SQL pieces and row mappings shared by the store's statements (pg-store.ts, pause.ts).
import type { EngineEvent } from "../events.ts";
import type { ExecutionRecord } from "../run-state.ts";

export const EVENT_COLUMNS = `id uuid, sequence int, type "ExecutionEventType", at timestamptz, "stepId" uuid, "batchId" uuid,
  "executionStatus" "ExecutionStatus", data jsonb`;

/** An INSERT of the events in parameter `param` (a JSON array), for the execution in CTE `x`. */
export const insertEvents = (param: string) => `
  INSERT INTO "ExecutionEvent" (id, "tenantId", "executionId", sequence, type, at, "stepId", "batchId", "executionStatus", data)
  SELECT r.id, x."tenantId", x.id, r.sequence, r.type, r.at, r."stepId", r."batchId", r."executionStatus", r.data
  FROM x JOIN jsonb_to_recordset(${param}::jsonb) AS r(${EVENT_COLUMNS}, "executionId" uuid) ON r."executionId" = x.id`;

export const eventRows = (events: readonly EngineEvent[]) =>
  JSON.stringify(
    events.map((e) => ({
      id: e.id,
      executionId: e.executionId,
      sequence: e.sequence,
      type: e.type,
      at: e.at,
      stepId: e.stepId,
      batchId: e.batchId,
      executionStatus: e.executionStatus,
      data: e.data,
    })),
  );

/** The columns of "Execution", as RETURNING * gives them (enums cast to text by the query). */
export function toRecord(row: Record<string, unknown>): ExecutionRecord {
  const { claimedOriginal: _c, queuedJobs: _q, currentVersion: _v, ...rest } = row;
  return rest as unknown as ExecutionRecord;
}

