// The printed schema is committed (schema.graphql) and must (1) match the code and (2) contain
// the public API contract: every type, field, argument and enum value in
// ../shared/api-contract.graphql (its `extend`s included), with the same types and defaults, except
// the pieces NOT_YET_BUILT lists.
import { existsSync, readFileSync } from "node:fs";
import {
  astFromValue,
  type ConstValueNode,
  type DocumentNode,
  type EnumTypeDefinitionNode,
  type EnumTypeExtensionNode,
  type GraphQLArgument,
  GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputField,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  type InputObjectTypeDefinitionNode,
  type InputObjectTypeExtensionNode,
  type InterfaceTypeDefinitionNode,
  type InterfaceTypeExtensionNode,
  Kind,
  type Location,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  parse,
  print,
  printSchema,
  type ScalarTypeDefinitionNode,
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

// The contract is checked piece by piece, each with a name a failure (and NOT_YET_BUILT) can use:
//   a type "Workflow", a field "Workflow.stats" or input field "ExecutionFilter.search", an enum value
//   "ExecutionStatus.PAUSED", an argument "Workflow.executions(filter)".
// A missing type implies its own fields, and a missing field its arguments, so each missing piece is
// one entry. What an `extend` adds is a piece of its own even when the type is new as well: the
// extension is a separate feature (EmitEventInput and EmitEventInput.externalId are two entries).
type Piece = {
  name: string;
  /** The type this piece belongs to: one test per type. */
  typeName: string;
  /** A piece whose absence implies this one's (a type for its fields, a field for its arguments). */
  within?: string;
  line: number;
  /** undefined when the schema lacks the piece; otherwise how it differs from the contract ([] when it matches). */
  compare: () => string[] | undefined;
};

// Parts of the contract that are not built yet, by piece name (see above). A test fails when one of
// them exists, so this list only ever shrinks: remove an entry when you build it.
const NOT_YET_BUILT = new Set<string>([]);

const contract = parse(readFileSync(contractCopy, "utf8"));
const pieces = contractPieces(contract);
const byName = new Map(pieces.map((p) => [p.name, p]));
const isMissing = (p: Piece) => p.compare() === undefined;
/** Missing because the piece it belongs to is missing: reported (and listed) as that one. */
const isImplied = (p: Piece): boolean => {
  const parent = p.within === undefined ? undefined : byName.get(p.within);
  return parent !== undefined && (isMissing(parent) || isImplied(parent));
};
const where = (p: Piece) => `${p.name} (contract line ${p.line})`;

describe("the API contract", () => {
  it.runIf(existsSync(sharedContract))("copy in test/contract equals ../shared/api-contract.graphql", () => {
    expect(
      readFileSync(contractCopy, "utf8"),
      "copy ../shared/api-contract.graphql to test/contract/api-contract.graphql",
    ).toBe(readFileSync(sharedContract, "utf8"));
  });

  it("NOT_YET_BUILT names pieces of the contract, each needed on its own", () => {
    const unknown = [...NOT_YET_BUILT].filter((name) => !byName.has(name));
    const hint = "not pieces of the contract (a typo? names look like Type, Type.field, Type.field(arg))";
    expect.soft(unknown, hint).toEqual([]);
    const implied = [...NOT_YET_BUILT].flatMap((name) => {
      const piece = byName.get(name);
      return piece && isImplied(piece) ? [`${name}: implied by ${piece.within}, list only that`] : [];
    });
    expect.soft(implied, "entries already covered by another missing piece").toEqual([]);
  });

  it("NOT_YET_BUILT lists nothing that is built", () => {
    const built = [...NOT_YET_BUILT].filter((name) => {
      const piece = byName.get(name);
      return piece !== undefined && !isMissing(piece);
    });
    expect(built, "these exist in the schema now: remove them from NOT_YET_BUILT").toEqual([]);
  });

  const typeNames = [...new Set(pieces.map((p) => p.typeName))];
  for (const typeName of typeNames) {
    const own = pieces.filter((p) => p.typeName === typeName);
    const notBuilt = own.every((p) => isMissing(p) && (NOT_YET_BUILT.has(p.name) || isImplied(p)));
    it.skipIf(notBuilt)(`has ${typeName} as the contract defines it`, () => {
      const problems = own.flatMap((p) => {
        const differences = p.compare();
        if (differences === undefined) {
          return NOT_YET_BUILT.has(p.name) || isImplied(p)
            ? []
            : [`${where(p)}: missing from the schema; build it, or list "${p.name}" in NOT_YET_BUILT`];
        }
        return differences.map((d) => `${where(p)}: ${d}`);
      });
      expect(problems).toEqual([]);
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

function contractPieces(document: DocumentNode): Piece[] {
  const out: Piece[] = [];
  for (const def of document.definitions) {
    const line = def.loc?.startToken.line ?? 0;
    switch (def.kind) {
      case Kind.SCALAR_TYPE_DEFINITION:
        out.push(typePiece(def, line));
        break;
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_DEFINITION:
        out.push(typePiece(def, line));
        out.push(...memberPieces(def, def.name.value));
        break;
      case Kind.ENUM_TYPE_EXTENSION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        out.push(...memberPieces(def, undefined));
        break;
      default:
        // Fail loudly rather than silently not checking a new kind of contract entry.
        throw new Error(`schema-contract.test.ts cannot check a ${def.kind} yet (contract line ${line})`);
    }
  }
  return out;
}

type TypeDefinition =
  | ScalarTypeDefinitionNode
  | EnumTypeDefinitionNode
  | InputObjectTypeDefinitionNode
  | ObjectTypeDefinitionNode
  | InterfaceTypeDefinitionNode;
type MemberDefinition =
  | EnumTypeDefinitionNode
  | EnumTypeExtensionNode
  | InputObjectTypeDefinitionNode
  | InputObjectTypeExtensionNode
  | ObjectTypeDefinitionNode
  | ObjectTypeExtensionNode
  | InterfaceTypeDefinitionNode
  | InterfaceTypeExtensionNode;

const KIND_CLASS = {
  [Kind.SCALAR_TYPE_DEFINITION]: ["a scalar", GraphQLScalarType],
  [Kind.ENUM_TYPE_DEFINITION]: ["an enum", GraphQLEnumType],
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: ["an input type", GraphQLInputObjectType],
  [Kind.OBJECT_TYPE_DEFINITION]: ["an object type", GraphQLObjectType],
  [Kind.INTERFACE_TYPE_DEFINITION]: ["an interface", GraphQLInterfaceType],
} as const;

function typePiece(def: TypeDefinition, line: number): Piece {
  const name = def.name.value;
  return {
    name,
    typeName: name,
    line,
    compare() {
      const type = schema.getType(name);
      if (!type) return undefined;
      const [label, cls] = KIND_CLASS[def.kind];
      if (!(type instanceof cls)) return [`is not ${label} in the schema`];
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION) return [];
      const has = (type as GraphQLObjectType | GraphQLInterfaceType).getInterfaces().map((i) => i.name);
      const wanted = (def.interfaces ?? []).map((i) => i.name.value);
      return wanted.filter((i) => !has.includes(i)).map((i) => `does not implement ${i}`);
    },
  };
}

function memberPieces(def: MemberDefinition, within: string | undefined): Piece[] {
  const typeName = def.name.value;
  const lineOf = (node: { loc?: Location }) => node.loc?.startToken.line ?? 0;
  const fieldsOf = () => {
    const type = schema.getType(typeName);
    if (!type || !("getFields" in type)) return undefined;
    return type.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
  };
  switch (def.kind) {
    case Kind.ENUM_TYPE_DEFINITION:
    case Kind.ENUM_TYPE_EXTENSION:
      return (def.values ?? []).map((v) => ({
        name: `${typeName}.${v.name.value}`,
        typeName,
        within,
        line: lineOf(v),
        compare() {
          const type = schema.getType(typeName);
          return type instanceof GraphQLEnumType && type.getValue(v.name.value) ? [] : undefined;
        },
      }));
    case Kind.INPUT_OBJECT_TYPE_DEFINITION:
    case Kind.INPUT_OBJECT_TYPE_EXTENSION:
      return (def.fields ?? []).map((f) => ({
        name: `${typeName}.${f.name.value}`,
        typeName,
        within,
        line: lineOf(f),
        compare() {
          const actual = fieldsOf()?.[f.name.value] as GraphQLInputField | undefined;
          return actual && [...typeProblem(actual.type, f.type), ...defaultProblem(actual, f.defaultValue)];
        },
      }));
    case Kind.OBJECT_TYPE_DEFINITION:
    case Kind.OBJECT_TYPE_EXTENSION:
    case Kind.INTERFACE_TYPE_DEFINITION:
    case Kind.INTERFACE_TYPE_EXTENSION: {
      const implemented = def.kind.endsWith("Extension")
        ? (def.interfaces ?? []).map((i) => ({
            name: `${typeName} implements ${i.name.value}`,
            typeName,
            line: lineOf(i),
            compare() {
              const type = schema.getType(typeName) as GraphQLObjectType | GraphQLInterfaceType | undefined;
              return type?.getInterfaces?.().some((x) => x.name === i.name.value) ? [] : undefined;
            },
          }))
        : [];
      return [
        ...implemented,
        ...(def.fields ?? []).flatMap((f) => {
          const fieldName = `${typeName}.${f.name.value}`;
          const field = () => fieldsOf()?.[f.name.value] as GraphQLField<unknown, unknown> | undefined;
          const fieldPiece: Piece = {
            name: fieldName,
            typeName,
            within,
            line: lineOf(f),
            compare() {
              const actual = field();
              return actual && typeProblem(actual.type, f.type);
            },
          };
          const argumentPieces = (f.arguments ?? []).map(
            (arg): Piece => ({
              name: `${fieldName}(${arg.name.value})`,
              typeName,
              within: fieldName,
              line: lineOf(arg),
              compare() {
                const actual = field()?.args.find((a) => a.name === arg.name.value);
                return actual && [...typeProblem(actual.type, arg.type), ...defaultProblem(actual, arg.defaultValue)];
              },
            }),
          );
          return [fieldPiece, ...argumentPieces];
        }),
      ];
    }
  }
}

function typeProblem(actual: GraphQLInputType | GraphQLOutputType, expected: TypeNode): string[] {
  return String(actual) === print(expected) ? [] : [`has type ${String(actual)}, the contract says ${print(expected)}`];
}

// Compared as GraphQL literals, so an enum default is its name whatever value the code maps it to.
function defaultProblem(
  actual: GraphQLArgument | GraphQLInputField,
  expected: ConstValueNode | undefined,
): string[] {
  const literal = actual.defaultValue === undefined ? undefined : astFromValue(actual.defaultValue, actual.type);
  const has = literal ? print(literal) : "no default";
  const wants = expected ? print(expected) : "no default";
  // The contract may leave a default out (the code may add one); it may not disagree with one it states.
  return expected && has !== wants ? [`has default ${has}, the contract says ${wants}`] : [];
}
