// Limits on the shape of an operation (depth, cost, aliases, directives, tokens), enforced by
// graphql-armor while yoga parses and validates. They run in yoga's envelop pipeline, so HTTP,
// SSE and graphql-ws (which calls yoga's getEnveloped) are all covered.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.ts";

/** Set in config.ts (README "Security"); cost is armor's worst-case estimate (see there). */
export type OperationLimits = Config["limits"]["operation"];

export const QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX";

/** What armor's rejections become: a stable code and HTTP 400 instead of a 200 "Syntax Error". */
export function queryTooComplex(armorError: GraphQLError): GraphQLError {
  const message = armorError.message.replace(/^Syntax Error: /, "");
  // `spec: false`: yoga would otherwise answer validation errors with 200 to application/json
  // clients, as GraphQL over HTTP allows; a hostile operation gets a 400 whatever it accepts.
  return new GraphQLError(message, {
    extensions: { code: QUERY_TOO_COMPLEX, http: { status: 400, spec: false } },
  });
}

// Armor throws or reports its own error unless told not to; the callback reports ours instead.
// Validation rules get a ValidationContext; the token limit runs in the parser and has none.
const reject = (ctx: ValidationContext | null, error: GraphQLError): void => {
  if (ctx) ctx.reportError(queryTooComplex(error));
  else throw queryTooComplex(error);
};

export function operationLimitsPlugin(limits: OperationLimits): Plugin {
  const common = { onReject: [reject], propagateOnRejection: false, exposeLimits: true };
  return EnvelopArmorPlugin({
    maxDepth: { ...common, n: limits.maxDepth },
    costLimit: { ...common, maxCost: limits.maxCost },
    maxAliases: { ...common, n: limits.maxAliases },
    maxDirectives: { ...common, n: limits.maxDirectives },
    maxTokens: { ...common, n: limits.maxTokens },
    blockFieldSuggestion: { enabled: limits.blockFieldSuggestions },
  }) as Plugin;
}

/** Rejects `__schema` and `__type` in validation (`__typename` stays allowed). */
export function disableIntrospectionPlugin(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
