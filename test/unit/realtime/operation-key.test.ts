// Operation keys decide which subscribers share a resolution: a position argument (where a stream
// starts) is left out of them, everything that can change a result is not.
import { type ExecutionArgs, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { operationKey, positionArgs } from "../../../src/realtime/operation-key.ts";

const Event: GraphQLObjectType = new GraphQLObjectType({
  name: "Event",
  fields: { seq: { type: GraphQLInt }, page: { type: GraphQLInt, args: { after: { type: GraphQLInt } } } },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType({
    name: "Subscription",
    fields: {
      events: { type: Event, args: { id: { type: GraphQLString }, after: { type: GraphQLInt } }, extensions: positionArgs("after") },
      other: { type: Event, args: { after: { type: GraphQLInt } } },
    },
  }),
});

const key = (source: string, variableValues: Record<string, unknown> = {}, scope: string | null = "tenant-1") =>
  operationKey({ schema, document: parse(source), variableValues } as ExecutionArgs, scope);

const BY_VARIABLES = "subscription S($id: String, $after: Int) { events(id: $id, after: $after) { seq } }";

describe("operationKey", () => {
  it("is the same for subscribers that differ only in where their streams start", () => {
    expect(key(BY_VARIABLES, { id: "a", after: 1 })).toBe(key(BY_VARIABLES, { id: "a", after: 7 }));
    expect(key(BY_VARIABLES, { id: "a", after: 1 })).toBe(key(BY_VARIABLES, { id: "a" }));
    expect(key('subscription { events(id: "a", after: 1) { seq } }')).toBe(key('subscription { events(id: "a", after: 9) { seq } }'));
  });

  it("differs in everything else that can change a result", () => {
    expect(key(BY_VARIABLES, { id: "a", after: 1 })).not.toBe(key(BY_VARIABLES, { id: "b", after: 1 }));
    expect(key(BY_VARIABLES, { id: "a" }, "tenant-1")).not.toBe(key(BY_VARIABLES, { id: "a" }, "tenant-2"));
    expect(key(BY_VARIABLES, { id: "a" }, null)).toBeNull();
    // A position variable used elsewhere in the selection too.
    const reused = "subscription S($after: Int) { events(id: \"a\", after: $after) { page(after: $after) } }";
    expect(key(reused, { after: 1 })).not.toBe(key(reused, { after: 2 }));
    // The same argument name below the root field, or on a root field that does not declare it.
    expect(key('subscription { events(id: "a") { page(after: 1) } }')).not.toBe(key('subscription { events(id: "a") { page(after: 2) } }'));
    expect(key("subscription { other(after: 1) { seq } }")).not.toBe(key("subscription { other(after: 2) { seq } }"));
    expect(key('subscription { events(id: "a") { seq } }')).not.toBe(key('subscription { events(id: "a") { seq page } }'));
  });
});
