// The executions page as ONE statement: the page's rows, each with its workflow, progress and
// first steps, shaped into JSON inside PostgreSQL, next to the snapshot the page was read in.
// Only what the selection names is read: the large columns (input, output, errors) cost nothing
// when a dashboard does not ask for them.
import { type ExecutionOrder, orderSql } from "./execution-cursor.ts";
import type { ExecutionSelection, StepFilter, StepsSelection } from "./execution-selection.ts";
import { progressSql } from "./progress.ts";
import type { SqlParams } from "./sql-params.ts";

const q = (column: string) => `"${column}"`;

/** `json_build_object` pairs for `columns` of alias `alias`. */
function pairs(columns: Iterable<string>, alias: string): string {
  return [...columns].map((c) => `'${c}', ${alias}.${q(c)}`).join(", ");
}

export function stepFilterSql(filter: StepFilter | null, params: SqlParams, alias: string): string {
  const conditions: string[] = [];
  if (filter?.status) conditions.push(`${alias}.status = ANY(${params.add(filter.status)}::"StepStatus"[])`);
  if (filter?.type != null) conditions.push(`${alias}.type = ${params.add(filter.type)}`);
  if (filter?.key != null) conditions.push(`${alias}.key = ${params.add(filter.key)}`);
  if (filter?.batchIndex != null) {
    conditions.push(
      `EXISTS (SELECT 1 FROM "Batch" b WHERE b.id = ${alias}."batchId" ` +
        `AND b.index = ${params.add(filter.batchIndex)}::int)`,
    );
  }
  return conditions.map((c) => ` AND ${c}`).join("");
}

/** `{ nodes: [first + 1 steps], total? }` of the execution `p.id`. */
function stepsSql(steps: StepsSelection, params: SqlParams, tenant: string): string {
  const columns = ["id", ...steps.columns].filter((c, i, all) => all.indexOf(c) === i);
  const filter = stepFilterSql(steps.filter, params, "s");
  const total = steps.totalCount
    ? `, 'total', (SELECT count(*) FROM "Step" s
        WHERE s."executionId" = p.id AND s."tenantId" = ${tenant}::uuid${filter})`
    : "";
  return `(SELECT json_build_object('nodes',
      coalesce(json_agg(json_build_object(${pairs(columns, "s")}) ORDER BY s.index), '[]'::json)${total})
    FROM (SELECT ${[...new Set([...columns, "index"])].map((c) => `s.${q(c)}`).join(", ")} FROM "Step" s
      WHERE s."executionId" = p.id AND s."tenantId" = ${tenant}::uuid${filter}
      ORDER BY s.index LIMIT ${params.add(steps.first + 1)}::int) s)`;
}

export type PageStatement = {
  selection: ExecutionSelection;
  order: ExecutionOrder;
  backward: boolean;
  /** SQL conditions over alias `e` (filter and cursor). */
  where: string;
  take: number;
};

/** One row: `snapshot` (pg_current_snapshot) and `rows`, a JSON array of the page in display-query order. */
export function executionPageSql(statement: PageStatement, params: SqlParams): string {
  const { selection, order, backward, where, take } = statement;
  const tenant = "$1";
  const columns = new Set<string>(["id", "workflowId", order.field, ...selection.columns]);
  const objects: string[] = [];
  if (selection.workflow) {
    const wf = ["id", ...selection.workflow].filter((c, i, all) => all.indexOf(c) === i);
    objects.push(`'$workflow', (SELECT json_build_object(${pairs(wf, "w")}) FROM "Workflow" w
      WHERE w.id = p."workflowId" AND w."tenantId" = ${tenant}::uuid)`);
  }
  if (selection.progress) objects.push(`'$progress', ${progressSql("p.id", tenant)}`);
  if (selection.steps.size > 0) {
    const pages = [...selection.steps].map(([key, steps]) => `'${key}', ${stepsSql(steps, params, tenant)}`);
    objects.push(`'$steps', json_build_object(${pages.join(", ")})`);
  }
  const row = [pairs(columns, "p"), ...objects].join(",\n      ");
  return `/* read:executions */
WITH p AS (
  SELECT ${[...columns].map((c) => `e.${q(c)}`).join(", ")} FROM "Execution" e
  WHERE e."tenantId" = ${tenant}::uuid AND ${where}
  ORDER BY ${orderSql(order, backward, "e")} LIMIT ${params.add(take)}::int
)
SELECT pg_current_snapshot()::text AS snapshot,
  coalesce((SELECT json_agg(json_build_object(${row}) ORDER BY ${orderSql(order, backward, "p")}) FROM p),
    '[]'::json) AS rows`;
}
