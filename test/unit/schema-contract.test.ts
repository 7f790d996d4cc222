// The printed schema is committed (schema.graphql) and must (1) match the code and (2) contain
// the public API contract: every type, field, argument and enum value in
// ../shared/api-contract.graphql, with the same types and defaults.
import { existsSync, readFileSync } from "node:fs";
import {
  type ArgumentNode,
  GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputField,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLScalarType,
  Kind,
  parse,
  print,
  printSchema,
  type TypeNode,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/schema/index.ts";

// A copy of the contract lives in the repo so a clone alone can run the tests; where the shared
// original is present beside the repo (as in CI) the copy must equal it.
const contractCopy = new URL("../contract/api-contract.graphql", import.meta.url);
const sharedContract = new URL("../../../shared/api-contract.graphql", import.meta.url);
const printed = printSchema(schema);

describe("schema.graphql", () => {
  it("is up to date with the code (run `npm run schema:print`)", () => {
    expect(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8")).toBe(`${printed}\n`);
  });

  it("describes every type and field", () => {
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || ["String", "Int", "Float", "Boolean", "ID"].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if ("getFields" in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});

const typeString = (node: TypeNode) => print(node);

// Parts of the contract that are not built yet (none at the moment). The test below also fails once one of them exists, so this list only
// ever shrinks.
const NOT_YET_BUILT = new Set<string>([]);

describe("the API contract", () => {
  const contract = parse(readFileSync(contractCopy, "utf8"));

  it("lists as not yet built only what is missing", () => {
    const present = [...NOT_YET_BUILT].filter((item) => {
      const [typeName, fieldName] = item.split(".") as [string, string | undefined];
      const type = schema.getType(typeName);
      return fieldName ? type && "getFields" in type && fieldName in type.getFields() : type !== undefined;
    });
    expect(present).toEqual([]);
  });

  it.runIf(existsSync(sharedContract))("copy in test/contract equals ../shared/api-contract.graphql", () => {
    expect(readFileSync(contractCopy, "utf8")).toBe(readFileSync(sharedContract, "utf8"));
  });

  for (const def of contract.definitions) {
    if (!("name" in def) || !def.name) continue;
    const name = def.name.value;
    if (NOT_YET_BUILT.has(name)) continue;
    it(`has ${name} as the contract defines it`, () => {
      const type = schema.getType(name);
      expect(type, `type ${name}`).toBeDefined();
      switch (def.kind) {
        case Kind.SCALAR_TYPE_DEFINITION:
          expect(type).toBeInstanceOf(GraphQLScalarType);
          break;
        case Kind.ENUM_TYPE_DEFINITION:
          expect(type).toBeInstanceOf(GraphQLEnumType);
          expect((type as GraphQLEnumType).getValues().map((v) => v.name)).toEqual(
            expect.arrayContaining(def.values?.map((v) => v.name.value) ?? []),
          );
          break;
        case Kind.INPUT_OBJECT_TYPE_DEFINITION: {
          expect(type).toBeInstanceOf(GraphQLInputObjectType);
          const fields = (type as GraphQLInputObjectType).getFields();
          for (const f of def.fields ?? []) {
            const actual: GraphQLInputField | undefined = fields[f.name.value];
            expect(actual, `${name}.${f.name.value}`).toBeDefined();
            expect(String(actual?.type), `${name}.${f.name.value}`).toBe(typeString(f.type));
          }
          break;
        }
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_DEFINITION: {
          expect(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType).toBe(true);
          const objectType = type as GraphQLObjectType;
          const fields = objectType.getFields();
          expect(objectType.getInterfaces().map((i) => i.name)).toEqual(
            expect.arrayContaining(def.interfaces?.map((i) => i.name.value) ?? []),
          );
          for (const f of def.fields ?? []) {
            if (NOT_YET_BUILT.has(`${name}.${f.name.value}`)) continue;
            const actual: GraphQLField<unknown, unknown> | undefined = fields[f.name.value];
            const where = `${name}.${f.name.value}`;
            expect(actual, where).toBeDefined();
            expect(String(actual?.type), where).toBe(typeString(f.type));
            for (const arg of f.arguments ?? []) {
              const a = actual?.args.find((x) => x.name === arg.name.value);
              expect(a, `${where}(${arg.name.value})`).toBeDefined();
              expect(String(a?.type), `${where}(${arg.name.value})`).toBe(typeString(arg.type));
              if (arg.defaultValue) {
                expect(JSON.stringify(a?.defaultValue), `${where}(${arg.name.value}) default`).toBe(
                  JSON.stringify(literalValue(arg.defaultValue as unknown as ArgumentNode["value"])),
                );
              }
            }
          }
          break;
        }
      }
    });
  }

  it("has every connection with edges { cursor node }, pageInfo and totalCount", () => {
    for (const node of ["Workflow", "Execution", "Batch", "Step", "ExecutionEvent", "LogEntry", "WorkflowStats"]) {
      const connection = schema.getType(`${node}Connection`) as GraphQLObjectType;
      expect(connection, `${node}Connection`).toBeInstanceOf(GraphQLObjectType);
      const fields = connection.getFields();
      expect(String(fields.pageInfo?.type)).toBe("PageInfo!");
      expect(String(fields.totalCount?.type)).toBe("Int!");
      const edge = (fields.edges?.type.toString() ?? "").replace(/[[\]!]/g, "");
      const edgeFields = (schema.getType(edge) as GraphQLObjectType).getFields();
      expect(String(edgeFields.cursor?.type)).toBe("String!");
      expect(String(edgeFields.node?.type)).toBe(`${node}!`);
    }
  });
});

function literalValue(node: ArgumentNode["value"]): unknown {
  switch (node.kind) {
    case Kind.INT:
      return Number(node.value);
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.BOOLEAN:
      return node.value;
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.NULL:
      return null;
    default:
      return print(node);
  }
}
