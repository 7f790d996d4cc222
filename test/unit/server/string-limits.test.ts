// A limit in STRING_LIMITS is keyed by a schema coordinate: a typo there would silently leave the
// input at the general limit, so every coordinate must name a String or ID input of the schema.
import { getNamedType, type GraphQLInputType, isInputObjectType, isObjectType, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../../src/schema/index.ts";
import { findBadString, STRING_LIMITS } from "../../../src/server/string-input.ts";

function inputAt(coordinate: string): GraphQLInputType | undefined {
  const argument = /^(\w+)\.(\w+)\((\w+)\)$/.exec(coordinate);
  if (argument) {
    const [, typeName, fieldName, argName] = argument;
    const type = schema.getType(typeName as string);
    return isObjectType(type) ? type.getFields()[fieldName as string]?.args.find((a) => a.name === argName)?.type : undefined;
  }
  const [typeName, fieldName] = coordinate.split(".");
  const type = schema.getType(typeName as string);
  return isInputObjectType(type) ? type.getFields()[fieldName as string]?.type : undefined;
}

describe("STRING_LIMITS", () => {
  it.each(Object.keys(STRING_LIMITS))("%s is a String or ID input of the schema", (coordinate) => {
    const type = inputAt(coordinate);
    expect(type && getNamedType(type).name).toMatch(/^(String|ID)$/);
  });
});

describe("findBadString on one document with different variables", () => {
  // What the document says is found once per document (cached): the variables still count every time.
  it("checks each request's variables, and the document's own literals, every time", () => {
    const document = parse(`
      query($search: String, $filter: ExecutionFilter) {
        executions(filter: $filter) { totalCount }
        workflows(search: $search) { totalCount }
      }`);
    const check = (variableValues: Record<string, unknown>) => findBadString({ schema, document, variableValues });
    expect(check({ search: "fine" })).toBeNull();
    expect(check({ search: "x".repeat(201) })).toMatch(/^\$search \(Query\.workflows\(search\)\) must be at most 200 characters/);
    expect(check({ filter: { search: "bad\u0000" } })).toMatch(/^\$filter\.search must not contain NUL characters/);
    expect(check({ search: "fine" })).toBeNull();
    const literal = parse(`query($search: String) { workflows(search: $search) { totalCount } executions(filter: { search: "${"y".repeat(201)}" }) { totalCount } }`);
    for (const search of ["fine", "ok"]) {
      expect(findBadString({ schema, document: literal, variableValues: { search } })).toMatch(/^ExecutionFilter\.search must be at most 200/);
    }
  });
});
