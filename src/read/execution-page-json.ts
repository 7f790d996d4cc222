// The executions page as response JSON that PostgreSQL writes itself, for a selection made only of
// fields this file can write the way their resolvers would (the schema decides, in
// schema/execution/preshaped.ts, and falls back to the resolvers otherwise). The page's rows never
// become objects in Node: the text of one statement is spliced into the response. This is the
// dashboard's hot path: parsing PostgreSQL's JSON into objects and serializing them again was most
// of the CPU left per request (BENCHMARKS.md, "2026-12-03").
import type { Query } from "../db/query.ts";
import { countExecutions } from "./execution-count.ts";
import { type ExecutionOrder, orderSql } from "./execution-cursor.ts";
import type { ExecutionFilter } from "./execution-filter.ts";
import { pageBounds } from "./execution-page.ts";
import { stepFilterSql } from "./execution-page-sql.ts";
import type { StepFilter } from "./execution-selection.ts";
import { base64Sql, base64urlSql, globalIdSql, instantSql, literal, objectSql } from "./json-sql.ts";
import { cursorOfSnapshot } from "./list-changes/cursor.ts";
import { progressCountsSql } from "./progress.ts";
import { firstPageSize, type PageArgs } from "./page-size.ts";
import type { SqlParams } from "./sql-params.ts";
import { statementName } from "./statement-name.ts";

/**
 * One response key of a selection: a constant (a `__typename`), or a field by its schema name with
 * what is selected under it and, for `steps`, its arguments.
 */
export type JsonPick =
  | { key: string; constant: string }
  | { key: string; field: string; pick?: readonly JsonPick[]; args?: Record<string, unknown> };

/** Thrown while writing SQL for a field this file does not write: the caller falls back. */
class Unwritable extends Error {}

type Scope = { params: SqlParams; tenant: string };

/** Writes one field of an object whose row is alias `a`; `use` records the columns it reads. */
type FieldWriter = (a: string, pick: FieldPick, scope: Scope, use: (column: string) => void) => string;
type FieldPick = Extract<JsonPick, { field: string }>;

const q = (column: string) => `"${column}"`;

function column(name: string, as: (sql: string) => string = (sql) => sql): FieldWriter {
  return (a, _pick, _scope, use) => {
    use(name);
    return as(`${a}.${q(name)}`);
  };
}
const instant = (name: string) => column(name, instantSql);
const globalId = (typename: string, name = "id") => column(name, (sql) => globalIdSql(typename, sql));
const plain = (...names: string[]) => Object.fromEntries(names.map((n) => [n, column(n)]));
const instants = (...names: string[]) => Object.fromEntries(names.map((n) => [n, instant(n)]));

function objectOf(picks: readonly JsonPick[] | undefined, write: (pick: FieldPick) => string): string {
  const pairs = (picks ?? []).map((pick) => [pick.key, "constant" in pick ? literal(pick.constant) : write(pick)] as const);
  const sql = objectSql(pairs);
  if (sql === null) throw new Unwritable();
  return sql;
}

/** An object of the fields `writers` knows, each over alias `a`. */
function fieldsSql(
  writers: Record<string, FieldWriter>,
  a: string,
  picks: readonly JsonPick[] | undefined,
  scope: Scope,
  use: (column: string) => void,
): string {
  return objectOf(picks, (pick) => {
    const writer = Object.hasOwn(writers, pick.field) ? writers[pick.field] : undefined;
    if (!writer || (pick.args && pick.field !== "steps")) throw new Unwritable();
    return writer(a, pick, scope, use);
  });
}

const WORKFLOW: Record<string, FieldWriter> = {
  id: globalId("Workflow"),
  ...plain("name", "description", "version", "isActive", "triggerEvent", "schedule"),
  ...instants("nextRunAt", "createdAt", "updatedAt"),
};

const STEP: Record<string, FieldWriter> = {
  id: globalId("Step"),
  ...plain("key", "name", "type", "index", "status", "critical", "attempt", "input", "output", "error", "errorCode"),
  ...plain("branchTaken", "durationMs"),
  ...instants("startedAt", "completedAt"),
};

/** Step counts as toProgress (progress.ts) turns them into ExecutionProgress; `percent` rounded as Math.round. */
const PROGRESS: Record<string, FieldWriter> = {
  totalSteps: (c) => `${c}.total`,
  completedSteps: (c) => `${c}.completed`,
  failedSteps: (c) => `${c}.failed`,
  skippedSteps: (c) => `${c}.skipped`,
  percent: (c) => `CASE WHEN ${c}.total = 0 THEN 0 ELSE floor(${c}.terminal::float8 / ${c}.total * 10000 + 0.5) / 100 END`,
};

/** Execution.error: null unless the run has an error message, as its resolver decides. */
const ERROR: Record<string, FieldWriter> = {
  message: column("errorMessage"),
  code: column("errorCode"),
  stepId: column("errorStepId", (sql) => globalIdSql("Step", sql)),
};

type StepsArgs = PageArgs & { filter?: StepFilter | null };

/** Execution.steps when it is a first page: as stepPage (schema/step/page.ts) answers a preloaded page. */
function stepsSql(p: string, pick: FieldPick, scope: Scope): string {
  const args = (pick.args ?? {}) as StepsArgs;
  const first = firstPageSize(args);
  if (first === null) throw new Unwritable();
  const { params, tenant } = scope;
  const where = `s."executionId" = ${p}.id AND s."tenantId" = ${tenant}::uuid${stepFilterSql(args.filter ?? null, params, "s")}`;
  const columns = new Set(["id", "index"]);
  const use = (c: string) => columns.add(c);
  const n = params.add(first);
  const inPage = `FILTER (WHERE s.rn <= ${n}::int)`;
  const cursor = base64Sql(`'GPC:S:' || s.id`); // plugin-prisma's cursor of a string id (formatPrismaCursor)
  const connection = objectOf(pick.pick, (field) => {
    switch (field.field) {
      case "edges":
        return `coalesce(json_agg(${objectOf(field.pick, (edge) => {
          if (edge.field === "node") return fieldsSql(STEP, "s", edge.pick, scope, use);
          if (edge.field === "cursor") return cursor;
          throw new Unwritable();
        })} ORDER BY s.index) ${inPage}, '[]'::json)`;
      case "pageInfo":
        return objectOf(field.pick, (info) => {
          if (info.field === "hasNextPage") return `count(*) > ${n}::int`;
          if (info.field === "hasPreviousPage") return "false";
          if (info.field === "startCursor") return `(array_agg(${cursor} ORDER BY s.index) ${inPage})[1]`;
          if (info.field === "endCursor") return `(array_agg(${cursor} ORDER BY s.index DESC) ${inPage})[1]`;
          throw new Unwritable();
        });
      case "totalCount":
        return `(SELECT count(*)::int FROM "Step" s WHERE ${where})`;
      default:
        throw new Unwritable();
    }
  });
  return `(SELECT ${connection} FROM (SELECT ${[...columns].map((c) => `s.${q(c)}`).join(", ")},
      row_number() OVER (ORDER BY s.index) AS rn
    FROM "Step" s WHERE ${where} ORDER BY s.index LIMIT ${n}::int + 1) s)`;
}

const EXECUTION: Record<string, FieldWriter> = {
  id: globalId("Execution"),
  ...plain("workflowVersion", "status", "triggerSource", "triggerEvent", "attempt", "idempotencyKey", "externalId"),
  ...plain("cancelReason", "durationMs", "input", "output", "context"),
  ...instants("createdAt", "startedAt", "completedAt", "nextRetryAt"),
  error: (p, pick, scope, use) => {
    use("errorMessage");
    return `CASE WHEN coalesce(${p}."errorMessage", '') = '' THEN NULL ELSE ${fieldsSql(ERROR, p, pick.pick, scope, use)} END`;
  },
  workflow: (p, pick, scope, use) => {
    use("workflowId");
    return `(SELECT ${fieldsSql(WORKFLOW, "w", pick.pick, scope, () => {})} FROM "Workflow" w
      WHERE w.id = ${p}."workflowId" AND w."tenantId" = ${scope.tenant}::uuid)`;
  },
  progress: (p, pick, scope) =>
    `(SELECT ${fieldsSql(PROGRESS, "c", pick.pick, scope, () => {})} FROM (${progressCountsSql(`${p}.id`, scope.tenant)}) c)`,
  steps: (p, pick, scope) => stepsSql(p, pick, scope),
};

/** encodeCursor (execution-cursor.ts) in SQL: base64url of JSON `[field, value, id]`. */
function cursorSql(order: ExecutionOrder, p: string): string {
  const column = `${p}.${q(order.field)}`;
  const value = order.field === "durationMs" ? `${column}::text` : `'"' || ${instantSql(column)} || '"'`;
  return base64urlSql(`'[${JSON.stringify(order.field)},' || coalesce(${value}, 'null') || ',"' || ${p}.id || '"]'`);
}

export type ExecutionPageJsonRequest = {
  filter: ExecutionFilter | null;
  order: ExecutionOrder;
  args: PageArgs;
  /** What is selected on the ExecutionConnection. */
  pick: readonly JsonPick[];
};

/**
 * The ExecutionConnection's JSON text, or null when the selection holds a field this file does not
 * write or the arguments are invalid (the resolvers then answer, with their errors).
 */
export async function readExecutionPageJson(
  query: Query,
  tenantId: string,
  { filter, order, args, pick }: ExecutionPageJsonRequest,
): Promise<string | null> {
  let bounds: ReturnType<typeof pageBounds>;
  try {
    bounds = pageBounds(tenantId, { filter, order, args });
  } catch {
    return null;
  }
  const { size, backward, where, params, tenant } = bounds;
  const scope = { params, tenant };
  const columns = new Set<string>(["id", order.field]);
  const use = (c: string) => columns.add(c);
  const display = orderSql(order, false, "p");
  // Every parameter must appear in the text (PostgreSQL cannot type one that does not): added when used.
  let sizeParam: string | undefined;
  const sized = () => (sizeParam ??= params.add(size));
  const more = () => `((SELECT count(*) FROM p) > ${sized()}::int)`;
  const outputs: string[] = [];
  // Per response key: JSON text that the statement writes (a column) or that JS writes here.
  const parts: ((row: Record<string, string>, count: number | undefined) => string)[] = [];
  const fromColumn = (sql: string) => {
    const name = `c${outputs.length}`;
    outputs.push(`(${sql})::text AS ${name}`);
    return (row: Record<string, string>) => row[name] as string;
  };
  let countWanted = false;
  let changesCursor = false;
  try {
    for (const field of pick) {
      const key = JSON.stringify(field.key);
      if ("constant" in field) {
        parts.push(() => `${key}:${JSON.stringify(field.constant)}`);
      } else if (field.field === "edges") {
        const edge = objectOf(field.pick, (e) => {
          if (e.field === "node") return fieldsSql(EXECUTION, "p", e.pick, scope, use);
          if (e.field === "cursor") return cursorSql(order, "p");
          throw new Unwritable();
        });
        const text = fromColumn(`SELECT coalesce(json_agg(${edge} ORDER BY ${display}), '[]'::json) FROM page p`);
        parts.push((row) => `${key}:${text(row)}`);
      } else if (field.field === "pageInfo") {
        const info = objectOf(field.pick, (i) => {
          if (i.field === "hasNextPage") return backward ? String(args.before != null) : more();
          if (i.field === "hasPreviousPage") return backward ? more() : String(args.after != null);
          if (i.field === "startCursor") return `(SELECT ${cursorSql(order, "p")} FROM page p ORDER BY ${display} LIMIT 1)`;
          if (i.field === "endCursor") {
            return `(SELECT ${cursorSql(order, "p")} FROM page p ORDER BY ${orderSql(order, true, "p")} LIMIT 1)`;
          }
          throw new Unwritable();
        });
        const text = fromColumn(info);
        parts.push((row) => `${key}:${text(row)}`);
      } else if (field.field === "totalCount") {
        countWanted = true;
        parts.push((_row, count) => `${key}:${count}`);
      } else if (field.field === "changesCursor") {
        changesCursor = true;
        // The page statement's own snapshot, as the resolver's: the list continues from exactly these rows.
        parts.push((row) => `${key}:${JSON.stringify(cursorOfSnapshot(row.snapshot as string, Date.now()))}`);
      } else {
        throw new Unwritable();
      }
    }
  } catch (error) {
    if (error instanceof Unwritable) return null;
    throw error;
  }
  const take = params.add(size + 1);
  const text = `/* read:executions-json */
WITH p AS (
  SELECT ${[...columns].map((c) => `e.${q(c)}`).join(", ")} FROM "Execution" e
  WHERE e."tenantId" = ${tenant}::uuid AND ${where}
  ORDER BY ${orderSql(order, backward, "e")} LIMIT ${take}::int
), page AS (SELECT * FROM p ORDER BY ${orderSql(order, backward, "p")} LIMIT ${sized()}::int)
SELECT ${changesCursor ? "pg_current_snapshot()::text" : "NULL"} AS snapshot${outputs.map((o) => `,\n  ${o}`).join("")}`;
  const [result, count] = await Promise.all([
    query<Record<string, string>>(text, params.values, statementName("read:executions-json", text)),
    countWanted ? countExecutions(query, tenantId, filter) : undefined,
  ]);
  const row = result.rows[0] as Record<string, string>;
  return `{${parts.map((part) => part(row, count)).join(",")}}`;
}
