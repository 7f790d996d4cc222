// An execution's log entries for download, page by page in (at, id) order, so that a run with a
// million lines never sits in memory: the caller writes each page before the next is read.
import type { Query } from "../db/query.ts";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
export const LOG_LEVELS: readonly LogLevel[] = ["DEBUG", "INFO", "WARN", "ERROR"];

export type LogExportFilter = { levels?: readonly LogLevel[]; stepId?: string };

export type ExportedLogEntry = {
  id: string;
  at: Date;
  level: LogLevel;
  message: string;
  data: unknown;
  stepId: string | null;
  stepKey: string | null;
};

const PAGE_SIZE = 1_000;

/** Whether the tenant has this execution (another tenant's reads as missing). */
export async function executionExists(query: Query, tenantId: string, executionId: string): Promise<boolean> {
  const { rowCount } = await query(
    `/* read:log-export-execution */ SELECT 1 FROM "Execution" WHERE "tenantId" = $1 AND id = $2`,
    [tenantId, executionId],
    "read_log_export_execution",
  );
  return (rowCount ?? 0) > 0;
}

export async function* logPages(
  query: Query,
  tenantId: string,
  executionId: string,
  filter: LogExportFilter,
): AsyncGenerator<ExportedLogEntry[]> {
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    // Every filter is a parameter (NULL = not given), so the statement's text never changes.
    const { rows }: { rows: ExportedLogEntry[] } = await query<ExportedLogEntry>(
      `/* read:log-export-page */
       SELECT l.id, l.at, l.level::text AS level, l.message, l.data, l."stepId", s.key AS "stepKey"
       FROM "LogEntry" l LEFT JOIN "Step" s ON s.id = l."stepId" AND s."tenantId" = $1
       WHERE l."tenantId" = $1 AND l."executionId" = $2
         AND ($3::text[] IS NULL OR l.level::text = ANY($3::text[]))
         AND ($4::uuid IS NULL OR l."stepId" = $4::uuid)
         AND ($5::timestamptz IS NULL OR (l.at, l.id) > ($5::timestamptz, $6::uuid))
       ORDER BY l.at, l.id
       LIMIT ${PAGE_SIZE}`,
      [tenantId, executionId, filter.levels ?? null, filter.stepId ?? null, after?.at ?? null, after?.id ?? null],
      "read_log_export_page",
    );
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE_SIZE) return;
    const last = rows[rows.length - 1] as ExportedLogEntry;
    after = { at: last.at, id: last.id };
  }
}
