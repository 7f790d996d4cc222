// A deleted execution, as a list change shows it: the row the change that deleted it kept (its
// large JSON columns left out), in the shape a Prisma query of the row would have returned, so
// that the Execution type resolves it like a live one. What went with it (steps, events, logs,
// batches, retries) is empty; input, output and context are null.
import { Prisma } from "@prisma/client";
import type { Query } from "../../db/query.ts";

const fields = Prisma.dmmf.datamodel.models.find((m) => m.name === "Execution")?.fields ?? [];
const DATE_FIELDS = fields.filter((f) => f.kind === "scalar" && f.type === "DateTime").map((f) => f.name);
const SCALARS = new Set(fields.filter((f) => f.kind !== "object").map((f) => f.name));
/**
 * Relation name → whether it is a list. The client's runtime model does not say; a relation to one
 * row has its foreign key next to it, named after it (workflow → workflowId), as every one here does.
 */
const RELATIONS = new Map(fields.filter((f) => f.kind === "object").map((f) => [f.name, !SCALARS.has(`${f.name}Id`)]));

const READ_DELETED = `/* list-changes:deleted */
  SELECT deleted AS row FROM "ExecutionChange"
  WHERE "tenantId" = $1::uuid AND "executionId" = $2::uuid AND deleted IS NOT NULL
  ORDER BY id DESC LIMIT 1`;

/** Prisma query arguments as plugin-prisma passes them: a select or an include, nested. */
type QueryArgs = { select?: Record<string, unknown>; include?: Record<string, unknown> };

/** The deleted execution shaped for `args`, or null when no change kept it (pruned, or never deleted). */
export async function readDeletedExecution(
  query: Query,
  tenantId: string,
  executionId: string,
  args: QueryArgs,
): Promise<Record<string, unknown> | null> {
  const { rows } = await query<{ row: Record<string, unknown> }>(READ_DELETED, [tenantId, executionId], "list_changes_deleted");
  const row = rows[0]?.row;
  if (!row) return null;
  const execution: Record<string, unknown> = { ...row, input: null, output: null, context: null };
  for (const name of DATE_FIELDS) {
    const value = execution[name];
    if (typeof value === "string") execution[name] = new Date(value);
  }
  // The relations the query asked for, as they are now: gone. `_count` counts nothing.
  for (const [key, value] of Object.entries(args.select ?? args.include ?? {})) {
    if (key === "_count") {
      const counted = (value as { select?: Record<string, unknown> }).select ?? {};
      execution[key] = Object.fromEntries(Object.keys(counted).map((k) => [k, 0]));
    } else if (RELATIONS.has(key) && value) {
      execution[key] = RELATIONS.get(key) ? [] : null;
    }
  }
  return execution;
}
