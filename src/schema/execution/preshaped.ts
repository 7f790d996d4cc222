// Queries whose every root field is `executions` (or __typename) are answered with the JSON that
// PostgreSQL writes for them (read/execution-page-json.ts) when everything selected is a field the
// read layer writes the way its resolver would; anything else (another field, an unknown type
// condition, an invalid argument, a database error) returns null and the query runs through the
// resolvers as usual, which also report every error.
import {
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLObjectType,
  type SelectionSetNode,
} from "graphql";
import { hasRole } from "../../auth/principal.ts";
import type { Context } from "../../context.ts";
import type { ExecutionOrder } from "../../read/execution-cursor.ts";
import { type JsonPick, readExecutionPageJson } from "../../read/execution-page-json.ts";
import { isIncluded } from "../included.ts";
import type { PageArgs } from "../page-size.ts";
import { executionFilter, type ExecutionFilterInput } from "./filter.ts";
import { DEFAULT_ORDER } from "./page.ts";

type Variables = Record<string, unknown>;
type Fragments = Record<string, FragmentDefinitionNode>;

/** Not answerable here: the resolvers take the query. */
class Unanswerable extends Error {}

/** The fields of `type` under `sets` by response key, in response order, through fragments on `type`. */
function collect(
  type: GraphQLObjectType,
  sets: readonly (SelectionSetNode | undefined)[],
  variables: Variables,
  fragments: Fragments,
  into = new Map<string, FieldNode[]>(),
): Map<string, FieldNode[]> {
  for (const set of sets) {
    for (const selection of set?.selections ?? []) {
      if (!isIncluded(selection, variables)) continue;
      if (selection.kind === "Field") {
        const key = selection.alias?.value ?? selection.name.value;
        const list = into.get(key);
        if (list) list.push(selection);
        else into.set(key, [selection]);
        continue;
      }
      const fragment = selection.kind === "InlineFragment" ? selection : fragments[selection.name.value];
      // A condition on an interface or another type would need the schema's type relations: not worth it here.
      const condition = fragment?.typeCondition?.name.value;
      if (condition !== undefined && condition !== type.name) throw new Unanswerable();
      collect(type, [fragment?.selectionSet], variables, fragments, into);
    }
  }
  return into;
}

/** What is selected on an object of `type`, in read-layer terms. */
function picksOf(type: GraphQLObjectType, nodes: readonly FieldNode[], variables: Variables, fragments: Fragments): JsonPick[] {
  const fields = collect(type, nodes.map((n) => n.selectionSet), variables, fragments);
  return [...fields].map(([key, group]) => {
    const node = group[0] as FieldNode;
    const name = node.name.value;
    if (name === "__typename") return { key, constant: type.name };
    const def = type.getFields()[name];
    if (!def) throw new Unanswerable();
    const named = getNamedType(def.type);
    return {
      key,
      field: name,
      ...(node.arguments?.length ? { args: getArgumentValues(def, node, variables) } : {}),
      ...(named instanceof GraphQLObjectType ? { pick: picksOf(named, group, variables, fragments) } : {}),
    };
  });
}

type ExecutionsArgs = PageArgs & { filter?: ExecutionFilterInput | null; orderBy?: ExecutionOrder | null };

/** The `data` of the response as JSON text, or null to let the resolvers answer. */
export function preshapedData(args: ExecutionArgs): Promise<string | null> | null {
  const operation = getOperationAST(args.document, args.operationName);
  const root = args.schema.getQueryType();
  if (operation?.operation !== "query" || !root) return null;
  const ctx = args.contextValue as Context;
  if (!ctx?.viewer || !hasRole(ctx.viewer, "VIEWER")) return null;
  // As the request sent them: coerced here as execute() would (defaults, enum values, scalars).
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (coerced.errors) return null;
  const variables = coerced.coerced;
  const fragments = Object.fromEntries(
    args.document.definitions.flatMap((d) => (d.kind === "FragmentDefinition" ? [[d.name.value, d] as const] : [])),
  );
  let parts: (string | Promise<string | null>)[];
  try {
    const fields = collect(root, [operation.selectionSet], variables, fragments);
    parts = [...fields].map(([key, group]) => {
      const node = group[0] as FieldNode;
      if (node.name.value === "__typename") return `${JSON.stringify(key)}:${JSON.stringify(root.name)}`;
      const def = root.getFields()["executions"];
      if (node.name.value !== "executions" || !def) throw new Unanswerable();
      const connection = getNamedType(def.type) as GraphQLObjectType;
      const fieldArgs = getArgumentValues(def, node, variables) as ExecutionsArgs;
      const page = readExecutionPageJson(ctx.sql, ctx.db.$tenantId, {
        filter: executionFilter(fieldArgs.filter),
        order: fieldArgs.orderBy ?? DEFAULT_ORDER,
        args: fieldArgs,
        pick: picksOf(connection, group, variables, fragments),
      });
      return page.then((json) => (json === null ? null : `${JSON.stringify(key)}:${json}`));
    });
  } catch {
    // Unanswerable, or an argument the resolvers will report (executionFilter's, a coercion's).
    return null;
  }
  return Promise.all(parts).then(
    (done) => (done.some((part) => part === null) ? null : `{${done.join(",")}}`),
    // The resolvers meet the same trouble and report it (masked, logged) the usual way.
    () => null,
  );
}
