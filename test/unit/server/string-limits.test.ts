// A limit in STRING_LIMITS is keyed by a schema coordinate: a typo there would silently leave the
// input at the general limit, so every coordinate must name a String or ID input of the schema.
import { getNamedType, type GraphQLInputType, isInputObjectType, isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../../src/schema/index.ts";
import { STRING_LIMITS } from "../../../src/server/string-input.ts";

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
