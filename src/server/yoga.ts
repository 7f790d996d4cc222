import type { GraphQLSchema } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Context } from "../context.ts";
import { createMaskError, type ErrorLogger } from "./mask-error.ts";

export const GRAPHQL_PATH = "/graphql";

export function createGraphQLServer(options: {
  schema: GraphQLSchema;
  context: () => Context;
  graphiql: boolean;
  logError: ErrorLogger;
}): YogaServerInstance<Record<string, never>, Context> {
  return createYoga<Record<string, never>, Context>({
    schema: options.schema,
    graphqlEndpoint: GRAPHQL_PATH,
    context: options.context,
    graphiql: options.graphiql ? { title: "Stepstream" } : false,
    maskedErrors: { maskError: createMaskError(options.logError) },
    // Yoga's own request logging is noisy; errors are logged through logError.
    logging: false,
  });
}
