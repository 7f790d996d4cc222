// Rate limits on mutations, per credential (API key, or token subject) and per peer address for
// requests without credentials (dev mode). Each root mutation field costs one point, so aliasing
// twenty startExecution calls into one request counts twenty. With REDIS_URL the counters live in
// Redis and hold across every server process; otherwise in this process's memory.
import { type DefinitionNode, GraphQLError, Kind, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Redis } from "ioredis";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../config.ts";
import type { Context } from "../context.ts";

export const RATE_LIMITED = "RATE_LIMITED";

export function createMutationLimiter(limits: Config["rateLimit"], redis: Redis | null): RateLimiterAbstract | null {
  if (limits.mutations === 0) return null;
  const options = { keyPrefix: "stepstream:mutations", points: limits.mutations, duration: limits.windowMs / 1000 };
  // While Redis is unreachable each process counts on its own instead of failing every mutation.
  return redis
    ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
    : new RateLimiterMemory(options);
}

function mutationFields(operation: OperationDefinitionNode): number {
  return operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && s.name.value !== "__typename").length;
}

export function rateLimitPlugin(limiter: RateLimiterAbstract): Plugin {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = args.document.definitions.find(
        (d: DefinitionNode): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
      );
      if (operation?.operation !== "mutation") return;
      const points = mutationFields(operation);
      if (points === 0) return;
      const ctx = args.contextValue as unknown as Context;
      const key = ctx.viewer.rateLimitKey ?? `address:${ctx.tenant.id}:${ctx.clientAddress ?? "unknown"}`;
      try {
        await limiter.consume(key, points);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        const retryAfterS = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`Too many mutations; retry in ${retryAfterS} s.`, {
              extensions: {
                code: RATE_LIMITED,
                retryAfterMs: error.msBeforeNext,
                http: { status: 429, headers: { "retry-after": String(retryAfterS) } },
              },
            }),
          ],
        });
      }
    },
  };
}
