// One resolution per event for every subscriber of the same thing. A subscription is two parts:
// its source stream (per subscriber: its own replay position, buffer, completion, credentials) and
// the execution of the selection set for each source value, which is where the database reads of
// a payload happen. This plugin replaces the subscribe function so that the second part is keyed:
// subscribers whose operation (document, operation name, variables; not where their streams start,
// operation-key.ts) and scope (what the context contributes to a result: tenant and role) are
// equal, and whose source value stands for the same event (SourceEvent.cause), get the one result
// the first of them produced — the same object, so the WebSocket transport serializes it once as
// well. Values without a cause are executed alone.
//
// Over WebSocket, a result without errors skips the rest of the way to the socket: it is handed
// to the transport's queue (openDirectLane) instead of being returned through envelop's and
// graphql-ws's iterators, which cost ~30 µs per subscriber and event, most of a burst's delivery
// time (BENCHMARKS.md). Nothing on that way changes such a result: error masking acts on errors
// only, and the one onNext hook that counts deliveries (metrics) is called here instead. A result
// with errors, and the end of the stream, still go the usual way, after everything sent before.
// Subscribers with a direct lane whose streams can park (an execution's events) also form
// delivery groups (delivery-groups.ts): once caught up, they stop reading and get each result
// from the one that still reads, in a synchronous loop.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { createDeliveryGroups, type DeliveryGroups, type Member, type Send, type Wake } from "./delivery-groups.ts";
import { type Fanout, SourceEvent } from "./fanout.ts";
import { operationKey } from "./operation-key.ts";
import type { Stream } from "./streams.ts";

export type SharedSubscriptionsOptions<C> = {
  fanout: Fanout;
  /** Called for each result sent through a direct lane (the usual way counts it in an onNext hook). */
  delivered?: () => void;
  /**
   * Everything in the context that a result may depend on, as a string; null: never share. Two
   * contexts with equal scopes must resolve every field identically (authorization included).
   */
  scopeOf(context: C): string | null;
};

const lanes = new WeakMap<object, Send>();

/**
 * Lets the operation of `context` (one subscription) send its error-free results through `send`,
 * which returns a promise when the next result must wait for it (the socket is behind).
 */
export function openDirectLane(context: object, send: Send): void {
  lanes.set(context, send);
}

export function sharedSubscriptionsPlugin<C>(options: SharedSubscriptionsOptions<C>): Plugin {
  const groups = createDeliveryGroups(options.delivered ? { delivered: options.delivered } : {});
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn((args) => sharedSubscribe(args as ExecutionArgs, options, groups));
    },
  };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value;

async function sharedSubscribe<C>(
  args: ExecutionArgs,
  options: SharedSubscriptionsOptions<C>,
  groups: DeliveryGroups,
): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const operation = operationKey(args, options.scopeOf(args.contextValue as C));
  const run = async (rootValue: unknown): Promise<ExecutionResult> => execute({ ...args, rootValue });
  const { fanout } = options;
  const leave = operation === null ? () => {} : fanout.enter(operation);
  const resolve = (payload: unknown): Promise<ExecutionResult> => {
    if (!(payload instanceof SourceEvent)) return run(payload);
    // Alone, nobody else could use the result: it is not kept (see Fanout.enter).
    if (operation === null || payload.cause === null || fanout.subscribers(operation) < 2) return run(payload.value);
    return fanout.share(`${operation}|${payload.cause}`, () => run(payload.value));
  };
  const lane = lanes.get(args.contextValue as object);
  const iterator = source[Symbol.asyncIterator]();
  // Only a shared operation whose stream can park, with a lane to send through, takes part in a delivery group.
  const parking = (iterator as Stream<unknown>).parking;
  const grouped = lane && parking && operation !== null ? { member: { send: lane } as Member, parking, key: operation } : undefined;
  const member = grouped?.member;
  const done = (): Promise<IteratorReturnResult<undefined>> => Promise.resolve({ value: undefined, done: true });
  // As graphql's own subscribe: an error of the source stream ends the stream, wrapped so that its
  // extensions (e.g. SUBSCRIPTION_OVERFLOW) reach the client.
  const wrap = (error: unknown) =>
    error instanceof Error
      ? new GraphQLError(error.message, { originalError: error })
      : new GraphQLError("Unexpected error.");
  // After an error or return() the stream is over: later next() calls are done (consumers ask again).
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    if (member) groups.leave(member);
    leave();
    await iterator.return?.();
  };
  /** Parked until woken; true: go on reading (alone or leading), false: the stream is over. */
  const parked = async (wake: Promise<Wake>): Promise<boolean> => {
    const woken = await wake;
    if (woken.kind === "left") return false;
    if (woken.kind === "complete") {
      await end();
      return false;
    }
    // A failed write closes the socket, which ends the subscription (return()): nothing to do here.
    if (woken.kind === "resume" && woken.wait) await woken.wait.catch(() => {});
    if (ended) return false;
    grouped?.parking.resume(woken.after);
    return true;
  };
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      for (;;) {
        if (ended) return done();
        let item: IteratorResult<unknown>;
        try {
          item = await iterator.next();
        } catch (error) {
          if (member) groups.failed(member);
          await end();
          throw wrap(error);
        }
        if (item.done) {
          if (member) groups.completed(member);
          await end();
          return done();
        }
        const result = await resolve(item.value);
        if (!lane || result.errors?.length) {
          if (member) groups.failed(member);
          return { value: result, done: false };
        }
        // return() (the client's complete, a closed socket) may have come while it resolved.
        if (ended) return done();
        const cause = item.value instanceof SourceEvent ? (item.value.cause as string | null) : null;
        if (grouped && cause !== null) groups.sending(grouped.member, cause, grouped.parking.position(), result);
        const wait = lane(result);
        options.delivered?.();
        if (wait) {
          if (member) groups.slow(member);
          await wait;
          continue;
        }
        if (!grouped || cause === null) continue;
        const wake = groups.caughtUp(grouped.key, grouped.member, cause, grouped.parking);
        if (wake && !(await parked(wake))) return done();
      }
    },
    async return() {
      await end();
      return done();
    },
    async throw(error?: unknown) {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}
