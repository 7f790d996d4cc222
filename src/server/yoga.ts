import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { GraphQLSchema } from "graphql";
import { createYoga, type Plugin, type YogaInitialContext, type YogaServerInstance } from "graphql-yoga";
import type { Context } from "../context.ts";
import { type JsonInputLimits, withSafeJsonInput } from "./json-input.ts";
import { disableIntrospectionPlugin, type OperationLimits, operationLimitsPlugin } from "./limits.ts";
import { createMaskError, type ErrorLogger } from "./mask-error.ts";

export const GRAPHQL_PATH = "/graphql";

export type GraphQLServerLimits = Readonly<{
  operation: OperationLimits;
  json: JsonInputLimits;
  /** Larger request bodies are refused with 413 (counted while streaming, never buffered whole). */
  maxBodyBytes: number;
}>;

export function createGraphQLServer<TServerContext extends Record<string, unknown>>(options: {
  schema: GraphQLSchema;
  /** Identifies the caller (throwing UnauthenticatedError when it cannot) and builds the context. */
  context: (initial: YogaInitialContext & TServerContext) => Promise<Context>;
  graphiql: boolean;
  introspection: boolean;
  limits: GraphQLServerLimits;
  logError: ErrorLogger;
  /** Runs once the context exists (e.g. rate limits, which need the caller). */
  plugins?: Plugin[];
}): YogaServerInstance<TServerContext, Context> {
  const plugins: Plugin[] = [
    // Form-encoded, multipart and text/plain POSTs (and GETs) need a header a cross-site form
    // cannot set; JSON POSTs are preflighted by browsers, so they pass as they are.
    useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf"] }),
    operationLimitsPlugin(options.limits.operation),
    ...(options.plugins ?? []),
  ];
  if (!options.introspection) plugins.push(disableIntrospectionPlugin());
  return createYoga<TServerContext, Context>({
    schema: withSafeJsonInput(options.schema, options.limits.json),
    graphqlEndpoint: GRAPHQL_PATH,
    context: options.context,
    graphiql: options.graphiql ? { title: "Stepstream" } : false,
    maskedErrors: { maskError: createMaskError(options.logError) },
    maxRequestBodySize: options.limits.maxBodyBytes,
    plugins,
    // Yoga's own request logging is noisy; errors are logged through logError.
    logging: false,
  });
}
