// Workflow.lastExecutedAt: when each workflow's newest run was created. One statement per batch;
// each workflow is one probe of the (workflowId, createdAt DESC) index, whatever its history.
import type { TenantDb } from "../db/tenant-scope.ts";

export async function loadLastExecutedAt(db: TenantDb, workflowIds: readonly string[]): Promise<(Date | null)[]> {
  const rows = await db.$queryRaw<{ id: string; at: Date | null }[]>`
    SELECT w.id::text AS id, last.at
    FROM unnest(${[...workflowIds]}::uuid[]) AS w(id)
    CROSS JOIN LATERAL (
      SELECT max(e."createdAt") AS at FROM (
        SELECT "createdAt" FROM "Execution" e
        WHERE e."workflowId" = w.id AND e."tenantId" = ${db.$tenantId}::uuid
        ORDER BY "createdAt" DESC LIMIT 1
      ) e
    ) last`;
  const byId = new Map(rows.map((r) => [r.id.toLowerCase(), r.at]));
  return workflowIds.map((id) => byId.get(id.toLowerCase()) ?? null);
}
