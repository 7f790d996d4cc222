// A subscription's error-free results go through its direct lane (the WebSocket transport's queue);
// a result with errors, and the end, come out of the iterator as before, after everything the lane
// took: a client sees every message in the order the stream produced it.
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, parse } from "graphql";
import { createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { createFanout } from "../../../src/realtime/fanout.ts";
import { openDirectLane, sharedSubscriptionsPlugin } from "../../../src/realtime/shared-subscriptions.ts";

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
  subscription: new GraphQLObjectType({
    name: "Subscription",
    fields: {
      counted: {
        type: GraphQLInt,
        subscribe: async function* () {
          for (let n = 1; n <= 5; n++) yield n;
        },
        // Even values fail: their results carry errors.
        resolve: (n: number) => {
          if (n % 2 === 0) throw new Error(`even ${n}`);
          return n;
        },
      },
    },
  }),
});

async function run(withLane: boolean) {
  const fanout = createFanout();
  let delivered = 0;
  const yoga = createYoga({
    schema,
    plugins: [sharedSubscriptionsPlugin({ fanout, scopeOf: () => null, delivered: () => (delivered += 1) })],
    maskedErrors: false,
  });
  const env = yoga.getEnveloped({});
  const contextValue = await env.contextFactory();
  const log: string[] = [];
  if (withLane) {
    openDirectLane(contextValue, async (result) => {
      log.push(`lane ${JSON.stringify(result.data)}`);
    });
  }
  const iterator = (await env.subscribe({ schema: env.schema, document: parse("subscription { counted }"), contextValue })) as AsyncIterable<{
    data?: unknown;
    errors?: readonly { message: string }[];
  }>;
  for await (const result of iterator) log.push(`yield ${result.errors ? result.errors[0]?.message : JSON.stringify(result.data)}`);
  log.push("done");
  fanout.close();
  return { log, delivered };
}

describe("the direct lane of a subscription", () => {
  it("takes the results without errors; the others and the end come out of the iterator, in order", async () => {
    const { log, delivered } = await run(true);
    expect(log).toEqual([
      'lane {"counted":1}',
      "yield even 2",
      'lane {"counted":3}',
      "yield even 4",
      'lane {"counted":5}',
      "done",
    ]);
    expect(delivered).toBe(3);
  });

  it("is not used without one: every result comes out of the iterator", async () => {
    const { log, delivered } = await run(false);
    expect(log).toEqual(['yield {"counted":1}', "yield even 2", 'yield {"counted":3}', "yield even 4", 'yield {"counted":5}', "done"]);
    expect(delivered).toBe(0);
  });
});
