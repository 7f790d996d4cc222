// Limits on values of the JSON scalar (workflow definitions, trigger data): a client could
// otherwise store megabytes, nest deep enough to blow a recursive walk's stack later, or smuggle
// NUL bytes and lone surrogates that PostgreSQL's jsonb rejects with an internal error (a 500).
// Checked where the scalar is parsed, so nothing reaches a resolver, on HTTP and WebSocket alike.
import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { GraphQLError, GraphQLScalarType, type GraphQLSchema, type ValueNode } from "graphql";

export type JsonInputLimits = Readonly<{
  /** Largest value, in bytes of its JSON serialization. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects; a scalar is depth 0, `{}` and `[]` depth 1. */
  maxDepth: number;
}>;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

// With the u flag a well-formed surrogate pair is one code point; only a lone half matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

function assertSafeString(text: string, where: string): void {
  if (text.includes("\u0000")) throw badInput(`JSON input must not contain NUL characters (${where}).`);
  if (LONE_SURROGATE.test(text)) throw badInput(`JSON input must be valid Unicode (${where}).`);
}

/** Throws a BAD_USER_INPUT GraphQLError unless `value` is within the limits and clean Unicode. */
export function assertSafeJsonInput(value: unknown, limits: JsonInputLimits): void {
  // Iterative, so a hostile depth cannot overflow the stack before the depth check catches it.
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current === "string") {
      assertSafeString(current, "in a string");
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limits.maxDepth) throw badInput(`JSON input is nested deeper than ${limits.maxDepth} levels.`);
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      assertSafeString(key, "in an object key");
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  // Depth is bounded now, so the recursive stringify is safe.
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  if (bytes > limits.maxBytes) throw badInput(`JSON input is larger than ${limits.maxBytes} bytes (${bytes}).`);
}

/** A copy of a JSON scalar whose parsed inputs (variables and literals) pass assertSafeJsonInput. */
export function createSafeJsonScalar(base: GraphQLScalarType, limits: JsonInputLimits): GraphQLScalarType {
  const config = base.toConfig();
  return new GraphQLScalarType({
    ...config,
    parseValue(value: unknown) {
      const parsed: unknown = config.parseValue ? config.parseValue(value) : value;
      assertSafeJsonInput(parsed, limits);
      return parsed;
    },
    parseLiteral(ast: ValueNode, variables?: Readonly<Record<string, unknown>> | null) {
      const parsed: unknown = config.parseLiteral ? config.parseLiteral(ast, variables) : undefined;
      assertSafeJsonInput(parsed, limits);
      return parsed;
    },
  });
}

/**
 * The schema with its `scalarName` scalar wrapped by createSafeJsonScalar. Done here, not in the
 * builder, because the limits come from the Config and the schema module has no config.
 */
export function withSafeJsonInput(schema: GraphQLSchema, limits: JsonInputLimits, scalarName = "JSON"): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.SCALAR_TYPE]: (type) => (type.name === scalarName ? createSafeJsonScalar(type, limits) : type),
  });
}
