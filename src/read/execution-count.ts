// How many executions match a filter (ExecutionConnection.totalCount), asked only when a client
// selects it: from the execution rollup (rollup-count.ts), whose cost does not grow with history,
// and by counting rows only for a `search`, which matches text the rollup does not keep.
import { Prisma } from "@prisma/client";
import type { Query } from "../db/query.ts";
import { executionFilterSql, type ExecutionFilter } from "./execution-filter.ts";
import { rollupCountSql } from "./rollup-count.ts";
import { createSqlParams } from "./sql-params.ts";
import { statementName } from "./statement-name.ts";

/**
 * The number of the tenant's executions that match `filter` (all of them for null), on the
 * statement runner `query`. Counts what committed before the statement started.
 */
export async function countExecutions(query: Query, tenantId: string, filter: ExecutionFilter | null): Promise<number> {
  const rolled = rollupCountSql(tenantId, filter ?? {});
  if (rolled) {
    const sql = Prisma.sql`/* read:execution-count-rollup */ SELECT (${rolled})::int AS n`;
    const result = await query<{ n: number }>(sql.text, sql.values, statementName("read:execution-count-rollup", sql.text));
    return (result.rows[0] as { n: number }).n;
  }
  const params = createSqlParams();
  const tenant = params.add(tenantId);
  const text = `/* read:execution-count */ SELECT count(*)::int AS n FROM "Execution" e
    WHERE e."tenantId" = ${tenant}::uuid AND ${executionFilterSql(filter, params, tenant)}`;
  const result = await query<{ n: number }>(text, params.values, statementName("read:execution-count", text));
  return (result.rows[0] as { n: number }).n;
}
