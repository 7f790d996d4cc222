// Limits on String and ID inputs, literal or in variables: no NUL character (PostgreSQL's text
// rejects it with an internal error) and no lone surrogate, and a length limit — a few free-text
// inputs have their own (below, documented in the README), every other one the general limit.
// JSON values have their own checks (json-input.ts). Checked before execution, on HTTP and
// WebSocket alike; a violation is a BAD_USER_INPUT error naming where it was, and nothing runs.
import {
  type DocumentNode,
  type ExecutionArgs,
  getNamedType,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  type OperationDefinitionNode,
  typeFromAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";

/** Any String or ID input without a limit of its own. */
export const MAX_STRING_CHARS = 10_000;

/** Free-text inputs with a tighter limit, by schema coordinate. */
export const STRING_LIMITS: Readonly<Record<string, number>> = {
  "StartExecutionInput.triggerEvent": 200,
  "StartExecutionInput.idempotencyKey": 200,
  "StartExecutionInput.externalId": 200,
  "EmitEventInput.name": 200,
  "EmitEventInput.idempotencyKey": 200,
  "EmitEventInput.externalId": 200,
  "ExecutionFilter.externalId": 200,
  "ExecutionFilter.startedBy": 200,
  "Query.workflowTemplates(search)": 200,
  "Query.workflowTemplates(category)": 200,
  "CancelExecutionInput.reason": 1_000,
  "StartBulkOperationInput.reason": 1_000,
  "ExecutionFilter.search": 200,
  "LogFilter.search": 200,
  "Query.workflows(search)": 200,
};

const limitOf = (coordinate: string | null): number => (coordinate ? STRING_LIMITS[coordinate] : undefined) ?? MAX_STRING_CHARS;

const LONE_SURROGATE = /\p{Surrogate}/u;

function problemWith(text: string, limit: number): string | null {
  if (text.includes("\u0000")) return "must not contain NUL characters";
  if (LONE_SURROGATE.test(text)) return "must be valid Unicode";
  if (text.length > limit) return `must be at most ${limit} characters (got ${text.length})`;
  return null;
}

const isStringLike = (type: GraphQLInputType) => isScalarType(type) && (type.name === "String" || type.name === "ID");

/** The first bad string in a variable's value, walked along its input type. */
function checkValue(value: unknown, type: GraphQLInputType, where: string, coordinate: string | null): string | null {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return checkValue(value, type.ofType, where, coordinate);
  if (isListType(type)) {
    const items = Array.isArray(value) ? value : [value];
    for (const [i, item] of items.entries()) {
      const problem = checkValue(item, type.ofType, `${where}[${i}]`, coordinate);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== "object") return null;
    for (const field of Object.values(type.getFields())) {
      const problem = checkValue((value as Record<string, unknown>)[field.name], field.type, `${where}.${field.name}`, `${type.name}.${field.name}`);
      if (problem) return problem;
    }
    return null;
  }
  if (!isStringLike(type) || typeof value !== "string") return null;
  const problem = problemWith(value, limitOf(coordinate));
  return problem && `${where} ${problem}`;
}

/** Where a literal sits, as a coordinate of STRING_LIMITS: an input field, or a field's argument. */
function literalCoordinate(typeInfo: TypeInfo, path: readonly string[]): string | null {
  const parent = typeInfo.getParentInputType();
  const argument = typeInfo.getArgument();
  const field = typeInfo.getFieldDef();
  const parentType = typeInfo.getParentType();
  const fieldName = path.at(-1);
  if (parent && isInputObjectType(getNamedType(parent)) && fieldName) return `${getNamedType(parent).name}.${fieldName}`;
  if (argument && field && parentType) return `${parentType.name}.${field.name}(${argument.name})`;
  return null;
}

/** What a document says on its own: its first bad literal, and the variables used where a string goes. */
type DocumentStrings = { literal: string | null; uses: { name: string; coordinate: string | null }[] };

/**
 * Walking a document with its types cost ~2.5 % of the dashboard's CPU when done per request; what
 * it finds depends on the document alone (yoga's parser cache hands out the same DocumentNode for
 * the same text), so it is done once per document and schema.
 */
const byDocument = new WeakMap<DocumentNode, WeakMap<GraphQLSchema, DocumentStrings>>();

function documentStrings(schema: GraphQLSchema, document: DocumentNode): DocumentStrings {
  const cached = byDocument.get(document)?.get(schema);
  if (cached) return cached;
  const found: DocumentStrings = { literal: null, uses: [] };
  const typeInfo = new TypeInfo(schema);
  const fieldNames: string[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      ObjectField: { enter: (node) => void fieldNames.push(node.name.value), leave: () => void fieldNames.pop() },
      // A variable passed straight to a String argument or input field has that place's limit.
      Variable(node) {
        const input = typeInfo.getInputType();
        if (!input || !isStringLike(getNamedType(input) as GraphQLInputType)) return;
        found.uses.push({ name: node.name.value, coordinate: literalCoordinate(typeInfo, fieldNames) });
      },
      StringValue(node) {
        if (found.literal) return;
        const input = typeInfo.getInputType();
        if (!input || !isStringLike(getNamedType(input) as GraphQLInputType)) return;
        const coordinate = literalCoordinate(typeInfo, fieldNames);
        const problem = problemWith(node.value, limitOf(coordinate));
        if (problem) found.literal = `${coordinate ?? "A string argument"} ${problem}`;
      },
    }),
  );
  const perSchema = byDocument.get(document) ?? new WeakMap<GraphQLSchema, DocumentStrings>();
  perSchema.set(schema, found);
  byDocument.set(document, perSchema);
  return found;
}

export function findBadString(args: Pick<ExecutionArgs, "schema" | "document" | "variableValues" | "operationName">): string | null {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
  );
  for (const definition of operation?.variableDefinitions ?? []) {
    const type = typeFromAST(args.schema, definition.type) as GraphQLInputType | undefined;
    const name = definition.variable.name.value;
    if (!type) continue;
    const problem = checkValue(args.variableValues?.[name], type, `$${name}`, null);
    if (problem) return problem;
  }
  const { literal, uses } = documentStrings(args.schema, args.document);
  // A bad variable is named before a bad literal (one walk named whichever came first): one error either way.
  for (const { name, coordinate } of uses) {
    const value = args.variableValues?.[name];
    if (typeof value !== "string") continue;
    const problem = problemWith(value, limitOf(coordinate));
    if (problem) return `$${name} (${coordinate ?? "a string argument"}) ${problem}`;
  }
  return literal;
}

export function stringInputPlugin(): Plugin {
  const refuse = (args: ExecutionArgs, stop: (result: { errors: GraphQLError[] }) => void) => {
    const problem = findBadString(args);
    if (problem) stop({ errors: [new GraphQLError(`Invalid input: ${problem}.`, { extensions: { code: "BAD_USER_INPUT" } })] });
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => refuse(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => refuse(args, setResultAndStopExecution),
  };
}
