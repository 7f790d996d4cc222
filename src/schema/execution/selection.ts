// Reads the GraphQL selection under an executions connection into the read layer's plan (which
// columns and sub-objects one statement should shape). Fragments are followed; fields skipped with
// @skip/@include are left out. What the plan does not name, resolvers load themselves.
import { type FieldNode, getArgumentValues, type GraphQLObjectType, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type {
  ExecutionColumn,
  ExecutionSelection,
  StepColumn,
  StepFilter,
  StepsSelection,
  WorkflowColumn,
} from "../../read/execution-selection.ts";
import { EXECUTION_COLUMNS, STEP_COLUMNS, WORKFLOW_COLUMNS } from "../../read/execution-selection.ts";
import { isIncluded } from "../included.ts";
import { firstPageSize } from "../page-size.ts";

/** GraphQL fields of Execution that are not columns of the same name, and the columns they read. */
const EXECUTION_FIELDS: Record<string, readonly ExecutionColumn[]> = {
  error: ["errorMessage", "errorCode", "errorStepId"],
  startedBy: ["startedByKind", "startedById", "startedByName"],
  cancelledBy: ["cancelledBy", "cancelledByKind", "cancelledByName"],
  definition: ["workflowVersion"],
};
const STEP_FIELDS: Record<string, readonly StepColumn[]> = {};

type Fields = Map<string, FieldNode[]>;

/** The fields under `sets`, by response key, through fragments. */
function fieldsOf(sets: readonly (SelectionSetNode | undefined)[], info: GraphQLResolveInfo, into: Fields = new Map()) {
  for (const set of sets) {
    for (const selection of set?.selections ?? []) {
      if (!isIncluded(selection, info.variableValues)) continue;
      if (selection.kind === "Field") {
        const key = selection.alias?.value ?? selection.name.value;
        const list = into.get(key);
        if (list) list.push(selection);
        else into.set(key, [selection]);
      } else if (selection.kind === "InlineFragment") {
        fieldsOf([selection.selectionSet], info, into);
      } else {
        fieldsOf([info.fragments[selection.name.value]?.selectionSet], info, into);
      }
    }
  }
  return into;
}

/** Fields under the response key `key` of `fields` (all its field nodes merged). */
function under(fields: Fields, key: string, info: GraphQLResolveInfo): Fields {
  return fieldsOf((fields.get(key) ?? []).map((f) => f.selectionSet), info);
}

function columnsOf<C extends string>(
  fields: Fields,
  known: readonly string[],
  mapped: Record<string, readonly C[]>,
): Set<C> {
  const columns = new Set<C>();
  for (const nodes of fields.values()) {
    const name = (nodes[0] as FieldNode).name.value;
    if (known.includes(name)) columns.add(name as C);
    for (const c of mapped[name] ?? []) columns.add(c);
  }
  return columns;
}

function stepsSelection(nodes: FieldNode[], info: GraphQLResolveInfo): StepsSelection | null {
  // One field node per key, or several that are the same field: GraphQL requires their arguments to agree.
  const execution = info.schema.getType("Execution") as GraphQLObjectType;
  const def = execution.getFields()["steps"];
  if (!def || nodes[0]?.name.value !== "steps") return null;
  const args = getArgumentValues(def, nodes[0], info.variableValues) as {
    first?: number | null;
    last?: number | null;
    after?: string | null;
    before?: string | null;
    filter?: StepFilter | null;
  };
  // Only a first page is preloaded; paging within one run's steps goes the usual way.
  const first = firstPageSize(args);
  if (first === null) return null;
  const connection = fieldsOf(nodes.map((n) => n.selectionSet), info);
  const node = under(under(connection, "edges", info), "node", info);
  return {
    first,
    filter: args.filter ?? null,
    columns: columnsOf(node, STEP_COLUMNS, STEP_FIELDS),
    totalCount: [...connection.values()].some((n) => n[0]?.name.value === "totalCount"),
  };
}

/** The plan for the connection field `info` resolves (executions, Workflow.executions). */
export function executionSelection(info: GraphQLResolveInfo): ExecutionSelection {
  const connection = fieldsOf(info.fieldNodes.map((n) => n.selectionSet), info);
  const node = under(under(connection, "edges", info), "node", info);
  // Aliases of the same field share one preloaded object: it carries what each of them selects.
  let workflow: Set<WorkflowColumn> | null = null;
  let progress = false;
  const steps = new Map<string, StepsSelection>();
  for (const [key, nodes] of node) {
    const name = (nodes[0] as FieldNode).name.value;
    if (name === "workflow") {
      const columns = columnsOf<WorkflowColumn>(fieldsOf(nodes.map((n) => n.selectionSet), info), WORKFLOW_COLUMNS, {});
      workflow = new Set([...(workflow ?? []), ...columns]);
    } else if (name === "progress") {
      progress = true;
    } else if (name === "steps") {
      const page = stepsSelection(nodes, info);
      if (page) steps.set(key, page);
    }
  }
  return { columns: columnsOf(node, EXECUTION_COLUMNS, EXECUTION_FIELDS), workflow, progress, steps };
}
