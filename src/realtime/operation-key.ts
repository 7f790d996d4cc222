// Which subscriptions may share a resolution: the same operation (document, operation name,
// variables) in the same scope. Except for the arguments that only say where a subscriber's stream
// starts (executionEvents' afterSequence, executionListChanges' after): they decide which events a
// subscriber gets, never what an event resolves to, and nearly every subscriber has its own (the
// cursor of the list it read). Left in the key, 1,000 viewers of one list resolved every change
// 1,000 times. A root field names them in its `positionArgs` extension; the key is then made of the
// document without them and of the variables still used elsewhere in it.
import { createHash } from "node:crypto";
import {
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { stableJson } from "./fanout.ts";

/** The root subscription field's extension listing its position arguments (argument names). */
const POSITION_ARGS = "positionArgs";

/** A position argument never changes how an event resolves: the field's resolver must not read it. */
export const positionArgs = (...names: string[]) => ({ [POSITION_ARGS]: names });

type Keyed = { text: string; variables: readonly string[] };

const keyed = new WeakMap<DocumentNode, Map<GraphQLSchema, Keyed>>();

/** The document without the root fields' position arguments, and the variables it still uses. */
function keyedDocument(document: DocumentNode, schema: GraphQLSchema): Keyed {
  let bySchema = keyed.get(document);
  const found = bySchema?.get(schema);
  if (found) return found;
  const root = schema.getSubscriptionType();
  const typeInfo = new TypeInfo(schema);
  const stripped = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (!root || typeInfo.getParentType() !== root) return undefined;
        const names = typeInfo.getFieldDef()?.extensions?.[POSITION_ARGS];
        return Array.isArray(names) && names.includes(node.name.value) ? null : undefined;
      },
    }),
  );
  const used = new Set<string>();
  visit(stripped, {
    // A definition's own name and default are no use of it.
    VariableDefinition: () => false,
    Variable(node) {
      used.add(node.name.value);
    },
  });
  const result = { text: print(stripped), variables: [...used].sort() };
  if (!bySchema) {
    bySchema = new Map();
    keyed.set(document, bySchema);
  }
  bySchema.set(schema, result);
  return result;
}

/** The key of an operation in its scope; null when it must not be shared. */
export function operationKey(args: ExecutionArgs, scope: string | null): string | null {
  if (scope === null) return null;
  const { text, variables } = keyedDocument(args.document, args.schema);
  const values = args.variableValues ?? {};
  const kept = Object.fromEntries(variables.filter((name) => name in values).map((name) => [name, values[name]]));
  const key = [scope, args.operationName ?? "", stableJson(kept), text].join("\n");
  return createHash("sha256").update(key).digest("base64url");
}
