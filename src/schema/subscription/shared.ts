// What the subscription fields share: the visibility check and turning a dropped subscriber into
// an error the client sees (anything not an AppError or GraphQLError would be masked).
import type { ExecutionEvent as ExecutionEventRow, ExecutionStatus } from "@prisma/client";
import { GraphQLError } from "graphql";
import type { Context } from "../../context.ts";
import { NotFoundError } from "../../errors.ts";
import { executionTopic, SubscriptionOverflowError } from "../../realtime/event-bus.ts";
import { SourceEvent } from "../../realtime/fanout.ts";
import { type Feed, isTerminalEvent, isTerminalStatus, replayThenLive, type Stream } from "../../realtime/streams.ts";
import { runAt } from "../../realtime/timers.ts";
import { decodeIdOf } from "../global-id.ts";

export type VisibleExecution = { id: string; status: ExecutionStatus; lastEventSequence: number };

/**
 * The execution of the viewer's tenant; a foreign ID is NOT_FOUND, like one that does not exist.
 * Subscribers connecting at once share the read: a status or last sequence a moment old only makes
 * a stream read a little more of the log. A client that has seen more than such a read knows
 * (`seen` > its lastEventSequence) gets a read of its own, so a finished run is never taken for a
 * running one by someone who already has its last event.
 */
export async function visibleExecution(ctx: Context, globalId: string | number, seen = 0): Promise<VisibleExecution> {
  const id = decodeIdOf("Execution", String(globalId));
  const read = () =>
    ctx.db.execution.findFirst({ where: { id }, select: { id: true, status: true, lastEventSequence: true } });
  let execution = await ctx.fanout.join(`visible|${ctx.db.$tenantId}|${id}`, Number.NEGATIVE_INFINITY, read);
  if (execution && execution.lastEventSequence < seen) execution = await read();
  if (!execution) throw new NotFoundError("Execution", String(globalId));
  return execution;
}

const REPLAY_PAGE_SIZE = 500;

/**
 * A visible execution's events after `after`: the persisted ones, then live ones, gapless and in
 * order (replayThenLive), ending after the terminal event. Reads are shared by every subscriber
 * of this process at the same position: after a Redis reconnect or a quiet interval all of them
 * read the execution's log once, not once each.
 */
export function executionFeed(ctx: Context, executionId: string, after: number): Feed<ExecutionEventRow> {
  const tenantId = ctx.db.$tenantId;
  return replayThenLive<ExecutionEventRow>({
    subscribe: () => ctx.events.subscribe(executionTopic(executionId), { rechecks: true }),
    after,
    pageSize: REPLAY_PAGE_SIZE,
    load: (afterSequence, limit, since) =>
      ctx.fanout.join(`events|${tenantId}|${executionId}|${afterSequence}|${limit}`, since, () =>
        ctx.db.executionEvent.findMany({
          where: { executionId, sequence: { gt: afterSequence } },
          orderBy: { sequence: "asc" },
          take: limit,
        }),
      ),
    sequenceOf: (row) => row.sequence,
    isLast: (row) => isTerminalEvent(row.type),
    // A live event is the row it announces, so the next one in order needs no read.
    fromEvent: (event) => event,
  });
}

/**
 * The events to come of a visible execution; null when it has finished, as nothing will follow.
 * Everything after the last event at the time of the check is delivered, so nothing committed
 * while subscribing is missed.
 */
export async function runningExecutionFeed(
  ctx: Context,
  globalId: string | number,
): Promise<{ execution: VisibleExecution; events: Feed<ExecutionEventRow> } | null> {
  const execution = await visibleExecution(ctx, globalId);
  if (isTerminalStatus(execution.status)) return null;
  return { execution, events: executionFeed(ctx, execution.id, execution.lastEventSequence) };
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
 * Each value leaves as a SourceEvent with its cause, which server/shared-subscriptions.ts unwraps
 * before the field's resolver sees it: subscribers with the same operation share its resolution.
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
        (result): IteratorResult<T, undefined> => {
          if (result.done) detach();
          if (expiry.error) throw expiry.error;
          if (result.done) return result;
          // Typed as T: the resolver receives the value itself (see above).
          return { value: new SourceEvent(result.value, source.cause?.() ?? null) as T, done: false };
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
    // Expiry and abort end the source itself, which a parked stream is told of.
    ...(source.parking ? { parking: source.parking } : {}),
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
