import { GraphQLError, GraphQLScalarType, parseValue } from "graphql";
import { JSONResolver } from "graphql-scalars";
import { describe, expect, it } from "vitest";
import { assertSafeJsonInput, createSafeJsonScalar } from "../../../src/server/json-input.ts";

const limits = { maxBytes: 100, maxDepth: 3 };

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions["code"] : error;
  }
  return "no error";
}

describe("assertSafeJsonInput", () => {
  it("accepts values within the limits, astral characters included", () => {
    expect(codeOf(() => assertSafeJsonInput({ a: [1, { b: "é 😀" }] }, limits))).toBe("no error");
    expect(codeOf(() => assertSafeJsonInput(null, limits))).toBe("no error");
  });

  it("counts depth from the outermost object or array", () => {
    expect(codeOf(() => assertSafeJsonInput([[[1]]], limits))).toBe("no error");
    expect(codeOf(() => assertSafeJsonInput([[[[1]]]], limits))).toBe("BAD_USER_INPUT");
  });

  it("does not overflow the stack on a very deep value", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(codeOf(() => assertSafeJsonInput(deep, limits))).toBe("BAD_USER_INPUT");
  });

  it("limits the serialized size in UTF-8 bytes", () => {
    expect(codeOf(() => assertSafeJsonInput("x".repeat(98), limits))).toBe("no error");
    expect(codeOf(() => assertSafeJsonInput("é".repeat(60), limits))).toBe("BAD_USER_INPUT");
  });

  it("refuses NUL characters and lone surrogates in strings and keys", () => {
    expect(codeOf(() => assertSafeJsonInput({ a: "x\u0000" }, limits))).toBe("BAD_USER_INPUT");
    expect(codeOf(() => assertSafeJsonInput({ "\u0000": 1 }, limits))).toBe("BAD_USER_INPUT");
    expect(codeOf(() => assertSafeJsonInput(["\udc00"], limits))).toBe("BAD_USER_INPUT");
    expect(codeOf(() => assertSafeJsonInput({ "\ud800x": 1 }, limits))).toBe("BAD_USER_INPUT");
  });
});

describe("createSafeJsonScalar", () => {
  const scalar = createSafeJsonScalar(JSONResolver, limits);

  it("keeps the scalar's name and parsing", () => {
    expect(scalar).toBeInstanceOf(GraphQLScalarType);
    expect(scalar.name).toBe(JSONResolver.name);
    expect(scalar.parseValue({ a: 1 })).toEqual({ a: 1 });
    expect(scalar.parseLiteral(parseValue("{a: [1, 2]}"), {})).toEqual({ a: [1, 2] });
  });

  it("checks variables and literals", () => {
    expect(codeOf(() => scalar.parseValue({ a: "\u0000" }))).toBe("BAD_USER_INPUT");
    expect(codeOf(() => scalar.parseLiteral(parseValue("[[[[1]]]]"), {}))).toBe("BAD_USER_INPUT");
  });
});
