// Limits on String and ID inputs, literal or in variables: no NUL character (PostgreSQL's text
// rejects it with an internal error) and no lone surrogate, and a length limit — a few free-text
// inputs have their own (below, documented in the README), every other one the general limit.
// JSON values have their own checks (json-input.ts). Checked before execution, on HTTP and
// WebSocket alike; a violation is a BAD_USER_INPUT error naming where it was, and nothing runs.
import {
  type ExecutionArgs,
  getNamedType,
  GraphQLError,
  type GraphQLInputType,
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
  let found: string | null = null;
  const typeInfo = new TypeInfo(args.schema);
  const fieldNames: string[] = [];
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      ObjectField: { enter: (node) => void fieldNames.push(node.name.value), leave: () => void fieldNames.pop() },
      // A variable passed straight to a String argument or input field has that place's limit.
      Variable(node) {
        if (found) return;
        const input = typeInfo.getInputType();
        const value = args.variableValues?.[node.name.value];
        if (!input || !isStringLike(getNamedType(input) as GraphQLInputType) || typeof value !== "string") return;
        const coordinate = literalCoordinate(typeInfo, fieldNames);
        const problem = problemWith(value, limitOf(coordinate));
        if (problem) found = `$${node.name.value} (${coordinate ?? "a string argument"}) ${problem}`;
      },
      StringValue(node) {
        if (found) return;
        const input = typeInfo.getInputType();
        if (!input || !isStringLike(getNamedType(input) as GraphQLInputType)) return;
        const coordinate = literalCoordinate(typeInfo, fieldNames);
        const problem = problemWith(node.value, limitOf(coordinate));
        if (problem) found = `${coordinate ?? "A string argument"} ${problem}`;
      },
    }),
  );
  return found;
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
