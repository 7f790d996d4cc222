// What a client sees of an error. AppErrors (and Pothos's argument validation, e.g. an invalid
// cursor) keep their message and get a stable `code`; everything else becomes "Unexpected
// error." and is logged with its cause, so no SQL, stack or internal message leaks.
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { AppError, UnauthenticatedError } from "../errors.ts";
import { QUERY_TOO_COMPLEX } from "./limits.ts";

export type ErrorLogger = (message: string, error: unknown) => void;

function originalOf(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * `databaseUnavailable` tells an outage from a bug: a request that failed because the database
 * cannot be reached answers 503 SERVICE_UNAVAILABLE (retryable) and is not logged (the pools log
 * an outage once, and its end once).
 */
const MAX_MESSAGE_CHARS = 500;

/**
 * graphql-js quotes a rejected variable whole ("got invalid value ..."): a 900 KB input made a
 * 921 KB error response. The client sent the value; it needs only the start of it back.
 */
function truncated(error: GraphQLError): GraphQLError {
  if (error.message.length <= MAX_MESSAGE_CHARS) return error;
  return new GraphQLError(`${error.message.slice(0, MAX_MESSAGE_CHARS)}… (truncated)`, {
    nodes: error.nodes,
    path: error.path,
    extensions: error.extensions,
  });
}

export function createMaskError(log: ErrorLogger, databaseUnavailable: (error: unknown) => boolean = () => false) {
  return (error: unknown, message: string): Error => {
    const original = originalOf(error);
    const path = error instanceof GraphQLError ? error.path : undefined;
    // Missing or bad credentials fail the whole request (the context cannot be built): 401.
    if (original instanceof UnauthenticatedError) {
      return createGraphQLError(original.message, {
        extensions: { code: original.code, http: { status: 401, headers: { "www-authenticate": "Bearer" } } },
      });
    }
    if (original instanceof AppError) {
      return createGraphQLError(original.message, { path, extensions: { code: original.code } });
    }
    if (original instanceof PothosValidationError) {
      return createGraphQLError(original.message, { path, extensions: { code: "BAD_USER_INPUT" } });
    }
    // Yoga's body limit names its code after an old HTTP reason phrase; clients get ours.
    if (original instanceof GraphQLError && original.extensions?.["code"] === "REQUEST_ENTITY_TOO_LARGE") {
      return createGraphQLError("Request body too large.", {
        extensions: { code: "PAYLOAD_TOO_LARGE", http: { status: 413 } },
      });
    }
    // The token limit fails the parse, and yoga marks parse errors `spec: true` (200 for
    // application/json clients); a hostile operation gets its 400 whatever it accepts.
    if (original instanceof GraphQLError && original.extensions?.["code"] === QUERY_TOO_COMPLEX) {
      return createGraphQLError(original.message, {
        extensions: { code: QUERY_TOO_COMPLEX, http: { status: 400, spec: false } },
      });
    }
    // Errors graphql-js (or graphql-jit, whose errors may lack extensions) raised itself (parse,
    // validation, variable coercion) are about the request, not the server; coercion errors
    // arrive wrapped in a second GraphQLError.
    if (original instanceof GraphQLError) return truncated(error as GraphQLError);
    if (databaseUnavailable(original)) {
      return createGraphQLError("The database is unavailable; retry shortly.", {
        extensions: { code: "SERVICE_UNAVAILABLE", retryable: true, http: { status: 503, headers: { "retry-after": "2" } } },
      });
    }
    log("Unexpected error in a GraphQL operation", original);
    return createGraphQLError(message, { path, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };
}
