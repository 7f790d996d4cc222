// What the subscription fields share: the visibility check and turning a dropped subscriber into
// an error the client sees (anything not an AppError or GraphQLError would be masked).
import type { ExecutionStatus } from "@prisma/client";
import { GraphQLError } from "graphql";
import type { Context } from "../../context.ts";
import { NotFoundError } from "../../errors.ts";
import { type EventSubscription, executionTopic, SubscriptionOverflowError } from "../../realtime/event-bus.ts";
import { isTerminalStatus, type Stream } from "../../realtime/streams.ts";
import { runAt } from "../../realtime/timers.ts";
import { decodeIdOf } from "../global-id.ts";

export type VisibleExecution = { id: string; status: ExecutionStatus; lastEventSequence: number };

/** The execution of the viewer's tenant; a foreign ID is NOT_FOUND, like one that does not exist. */
export async function visibleExecution(ctx: Context, globalId: string | number): Promise<VisibleExecution> {
  const id = decodeIdOf("Execution", String(globalId));
  const execution = await ctx.db.execution.findFirst({
    where: { id },
    select: { id: true, status: true, lastEventSequence: true },
  });
  if (!execution) throw new NotFoundError("Execution", String(globalId));
  return execution;
}

/**
 * Subscribes to a visible execution's events; null (and nothing held) when the execution has
 * finished, as nothing will follow. Subscribing before reading means an event committed in
 * between is not missed.
 */
export async function subscribeToRunningExecution(
  ctx: Context,
  globalId: string | number,
): Promise<{ execution: VisibleExecution; events: EventSubscription } | null> {
  const events = ctx.events.subscribe(executionTopic(decodeIdOf("Execution", String(globalId))));
  try {
    const execution = await visibleExecution(ctx, globalId);
    if (!isTerminalStatus(execution.status)) return { execution, events };
  } catch (error) {
    void events.return();
    throw error;
  }
  void events.return();
  return null;
}

/**
 * What every subscription field returns its stream through:
 * - a SubscriptionOverflowError becomes a GraphQL error with code SUBSCRIPTION_OVERFLOW and
 *   `overflowHint` in its message (anything else would be masked as an unexpected error);
 * - when the viewer's token expires, or (over SSE) their API key is revoked, the stream ends with
 *   an UNAUTHENTICATED error (over graphql-ws the socket is closed with 4403 as well);
 * - over SSE, the stream also ends when the request is aborted. Yoga's node adapter never reads
 *   (so never cancels) a response body whose client left before the response was ready, which
 *   with an async subscribe function is a real window; the listener would stay until the
 *   execution's next event. Over graphql-ws there is no request, and graphql-ws calls return().
 */
export function serve<T>(ctx: Context, source: Stream<T>, overflowHint?: string): Stream<T> {
  const signal = (ctx as { request?: { signal?: AbortSignal } }).request?.signal;
  const onAbort = () => void source.return();
  const expiry = expiryOf(ctx, source);
  const detach = () => {
    signal?.removeEventListener("abort", onAbort);
    expiry.clear();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    next: () =>
      source.next().then(
        (result) => {
          if (result.done) detach();
          if (expiry.error) throw expiry.error;
          return result;
        },
        (error: unknown) => {
          detach();
          if (expiry.error) throw expiry.error;
          if (!(error instanceof SubscriptionOverflowError) || overflowHint === undefined) throw error;
          throw new GraphQLError(
            `This subscription fell more than ${error.limit} events behind and was ended. ${overflowHint}`,
            { extensions: { code: "SUBSCRIPTION_OVERFLOW" } },
          );
        },
      ),
    return: () => {
      detach();
      return source.return();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Ends `source` when the viewer's credentials expire (a JWT's exp) or, where the context can
 * recheck them (an SSE stream of an API key), when they are revoked; `error` is then what the
 * stream's last next() rejects with (ending the source resolves a pending next(), which reads it).
 */
function expiryOf(ctx: Context, source: Stream<unknown>): { readonly error: GraphQLError | null; clear(): void } {
  const state = { error: null as GraphQLError | null, clear() {} };
  const end = (message: string) => {
    state.error ??= new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED" } });
    void source.return();
  };
  const cancelExpiry = ctx.viewer.expiresAt ? runAt(ctx.viewer.expiresAt, () => end("Token expired")) : undefined;
  const recheck = ctx.recheck;
  const interval = recheck
    ? setInterval(() => void recheck.stillValid().then((valid) => valid || end("Credentials revoked")), recheck.intervalMs)
    : undefined;
  state.clear = () => {
    cancelExpiry?.();
    clearInterval(interval);
  };
  return state;
}

/**
 * Empties the context's DataLoader caches. A subscription keeps one context for its whole life,
 * so without this every event would see the values (e.g. Execution.progress) the first event
 * loaded. Called at the start of each event's resolution; events of one subscription are
 * resolved one after the other.
 */
export function freshLoaders(ctx: Context): void {
  for (const loader of Object.values(ctx.loaders) as { clearAll?: () => unknown }[]) loader.clearAll?.();
}

/** True when the planned Prisma query selects relations, i.e. the row must be read with it. */
export const hasSelections = (query: object): boolean => Object.keys(query).length > 0;
