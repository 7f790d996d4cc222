// Which executions a list shows: one meaning for every place that lists them (the executions
// query, Workflow.executions, the cross-execution steps query, executionsChanged), written once
// for Prisma and once for SQL, side by side so they cannot drift apart.
import type { ExecutionStatus, Prisma, TriggerSource } from "@prisma/client";
import type { SqlParams } from "./sql-params.ts";

/** All given conditions must hold; ids are plain UUIDs (the schema decodes global IDs). */
export type ExecutionFilter = {
  workflowId?: string | null;
  status?: readonly ExecutionStatus[] | null;
  triggerSource?: readonly TriggerSource[] | null;
  /** At or after. */
  createdAfter?: Date | null;
  /** Strictly before. */
  createdBefore?: Date | null;
  /** Case-insensitive substring of the workflow name, the trigger event or the error message. */
  search?: string | null;
  /** The stored id of the actor who started the run (Execution.startedById), exactly. */
  startedBy?: string | null;
  /** The run's externalId, exactly. */
  externalId?: string | null;
};

/** The LIKE pattern of a search: `%`, `_` and `\` match themselves, not any text. */
function searchPattern(filter: ExecutionFilter): string | null {
  const search = filter.search?.trim();
  return search ? search.replace(/[\\%_]/g, "\\$&") : null;
}

export function executionWhere(filter?: ExecutionFilter | null): Prisma.ExecutionWhereInput {
  const where: Prisma.ExecutionWhereInput = {};
  if (!filter) return where;
  if (filter.workflowId != null) where.workflowId = filter.workflowId;
  if (filter.status) where.status = { in: [...filter.status] };
  if (filter.triggerSource) where.triggerSource = { in: [...filter.triggerSource] };
  if (filter.startedBy != null) where.startedById = filter.startedBy;
  if (filter.externalId != null) where.externalId = filter.externalId;
  if (filter.createdAfter || filter.createdBefore) {
    where.createdAt = {
      ...(filter.createdAfter ? { gte: filter.createdAfter } : {}),
      ...(filter.createdBefore ? { lt: filter.createdBefore } : {}),
    };
  }
  const pattern = searchPattern(filter);
  if (pattern) {
    // Prisma passes `contains` into LIKE unescaped: without the escaping "%" would match every run.
    const contains = { contains: pattern, mode: "insensitive" } as const;
    where.OR = [{ workflow: { name: contains } }, { triggerEvent: contains }, { errorMessage: contains }];
  }
  return where;
}

/**
 * The same conditions as SQL over the execution alias `e`, ANDed (`TRUE` when there are none).
 * `tenant` is the parameter that holds the tenant, for the workflow a search looks into.
 */
export function executionFilterSql(
  filter: ExecutionFilter | null | undefined,
  params: SqlParams,
  tenant: string,
): string {
  const conditions: string[] = [];
  if (filter?.workflowId != null) conditions.push(`e."workflowId" = ${params.add(filter.workflowId)}::uuid`);
  if (filter?.status) conditions.push(`e.status = ANY(${params.add(filter.status)}::"ExecutionStatus"[])`);
  if (filter?.triggerSource) {
    conditions.push(`e."triggerSource" = ANY(${params.add(filter.triggerSource)}::"TriggerSource"[])`);
  }
  if (filter?.startedBy != null) conditions.push(`e."startedById" = ${params.add(filter.startedBy)}`);
  if (filter?.externalId != null) conditions.push(`e."externalId" = ${params.add(filter.externalId)}`);
  if (filter?.createdAfter) conditions.push(`e."createdAt" >= ${params.add(filter.createdAfter)}::timestamptz`);
  if (filter?.createdBefore) conditions.push(`e."createdAt" < ${params.add(filter.createdBefore)}::timestamptz`);
  const pattern = filter ? searchPattern(filter) : null;
  if (pattern) {
    // As Prisma's `contains` with mode insensitive writes it: ILIKE with the default escape `\`.
    const like = params.add(`%${pattern}%`);
    conditions.push(
      `(e."triggerEvent" ILIKE ${like} OR e."errorMessage" ILIKE ${like} OR EXISTS (SELECT 1 FROM "Workflow" w ` +
        `WHERE w.id = e."workflowId" AND w."tenantId" = ${tenant}::uuid AND w.name ILIKE ${like}))`,
    );
  }
  return conditions.length ? conditions.join(" AND ") : "TRUE";
}
