import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { type ExecutionArgs, type GraphQLSchema, Kind, OperationTypeNode } from "graphql";
import {
  createGraphQLError,
  createYoga,
  type GraphiQLOptions,
  type Plugin,
  type YogaInitialContext,
  type YogaServerInstance,
} from "graphql-yoga";
import type { Context } from "../context.ts";
import { type JsonInputLimits, withSafeJsonInput } from "./json-input.ts";
import { disableIntrospectionPlugin, type OperationLimits, operationLimitsPlugin } from "./limits.ts";
import { createMaskError, type ErrorLogger } from "./mask-error.ts";
import { type PreshapedData, preshapedPlugin } from "./preshaped.ts";
import { stringInputPlugin } from "./string-input.ts";
import { HEALTH_PATH, type ReadinessProbes, readinessPlugin } from "./readiness.ts";

export const GRAPHQL_PATH = "/graphql";
/** The header a cross-site form or <img> cannot send; GraphiQL and the clients send it. */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * yoga's CSRF prevention, its refusal given a code a client can act on (the plugin sets only the
 * HTTP status).
 */
function csrfPrevention(): Plugin {
  const { onRequestParse } = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        return onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(`Required CSRF header not present: send "${CSRF_HEADER}" (any value) with GET and form requests`, {
          extensions: { code: "CSRF_HEADER_MISSING", http: { status: 403 } },
        });
      }
    },
  };
}

/**
 * GraphiQL from the installed package (no CDN: it works offline). Its requests carry the CSRF
 * header, so its SSE subscriptions (GET + text/event-stream) pass; `?subscriptions=ws` switches it
 * to graphql-ws on the same path, and `?query=` opens it with that operation (links in docs).
 */
function graphiqlOptions(request: Request): GraphiQLOptions {
  const params = new URL(request.url).searchParams;
  return {
    title: "Stepstream",
    additionalHeaders: { [CSRF_HEADER]: "graphiql" },
    subscriptionsProtocol: params.get("subscriptions") === "ws" ? "WS" : "SSE",
    ...(params.get("query") ? { defaultQuery: params.get("query") as string } : {}),
  };
}

export type GraphQLServerLimits = Readonly<{
  operation: OperationLimits;
  json: JsonInputLimits;
  /** Larger request bodies are refused with 413 (counted while streaming, never buffered whole). */
  maxBodyBytes: number;
}>;

/**
 * Compiled only when the document holds one operation, a query: @envelop/graphql-jit caches the
 * compiled query per document, not per operation, so the second operation of a document would run
 * the first one's compiled code (test/e2e/compiled-queries.test.ts).
 */
function isCompilable(args: ExecutionArgs): boolean {
  const operations = args.document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operations.length === 1 && operations[0]?.operation === OperationTypeNode.QUERY;
}

export function createGraphQLServer<TServerContext extends Record<string, unknown>>(options: {
  schema: GraphQLSchema;
  /** Identifies the caller (throwing UnauthenticatedError when it cannot) and builds the context. */
  context: (initial: YogaInitialContext & TServerContext) => Promise<Context>;
  graphiql: boolean;
  introspection: boolean;
  limits: GraphQLServerLimits;
  logError: ErrorLogger;
  /** True when an error means the database cannot be reached (answered 503, not logged). */
  databaseUnavailable?: (error: unknown) => boolean;
  /** What /readyz checks. */
  readiness: ReadinessProbes;
  /** Runs once the context exists (e.g. rate limits, which need the caller). */
  plugins?: Plugin[];
  /** Answers some queries with JSON text the read layer built, before any resolver runs. */
  preshaped?: PreshapedData;
}): YogaServerInstance<TServerContext, Context> {
  const plugins: Plugin[] = [
    readinessPlugin(options.readiness),
    // Form-encoded, multipart and text/plain POSTs (and GETs) need a header a cross-site form
    // cannot set; JSON POSTs are preflighted by browsers, so they pass as they are.
    csrfPrevention(),
    operationLimitsPlugin(options.limits.operation),
    stringInputPlugin(),
    ...(options.plugins ?? []),
    // After the plugins above (rate limits, request metrics), which see these queries too.
    ...(options.preshaped ? [preshapedPlugin(options.preshaped)] : []),
    // Queries run compiled (graphql-jit, cached per document): the dashboard's page is ~2,600
    // fields per response, and graphql-js's per-field executor was a quarter of its CPU.
    // (An envelop plugin typed for any context; yoga's Plugin type wants its own.)
    useGraphQlJit({}, { enableIf: isCompilable }) as Plugin,
  ];
  if (!options.introspection) plugins.push(disableIntrospectionPlugin());
  return createYoga<TServerContext, Context>({
    schema: withSafeJsonInput(options.schema, options.limits.json),
    graphqlEndpoint: GRAPHQL_PATH,
    context: options.context,
    graphiql: options.graphiql ? (request: Request, ..._context: unknown[]) => graphiqlOptions(request) : false,
    renderGraphiQL,
    maskedErrors: { maskError: createMaskError(options.logError, options.databaseUnavailable) },
    healthCheckEndpoint: HEALTH_PATH,
    maxRequestBodySize: options.limits.maxBodyBytes,
    plugins,
    // Yoga's own request logging is noisy; errors are logged through logError.
    logging: false,
  });
}
