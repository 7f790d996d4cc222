// One resolution per event for every subscriber of the same thing. A subscription is two parts:
// its source stream (per subscriber: its own replay position, buffer, completion, credentials) and
// the execution of the selection set for each source value, which is where the database reads of
// a payload happen. This plugin replaces the subscribe function so that the second part is keyed:
// subscribers whose operation (document, operation name, variables) and scope (what the context
// contributes to a result: tenant and role) are equal, and whose source value stands for the same
// event (SourceEvent.cause), get the one result the first of them produced — the same object,
// so the WebSocket transport serializes it once as well. Values without a cause are executed alone.
//
// Over WebSocket, a result without errors skips the rest of the way to the socket: it is handed
// to the transport's queue (openDirectLane) instead of being returned through envelop's and
// graphql-ws's iterators, which cost ~30 µs per subscriber and event, most of a burst's delivery
// time (BENCHMARKS.md). Nothing on that way changes such a result: error masking acts on errors
// only, and the one onNext hook that counts deliveries (metrics) is called here instead. A result
// with errors, and the end of the stream, still go the usual way, after everything sent before.
import { createHash } from "node:crypto";
import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  print,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { type Fanout, SourceEvent, stableJson } from "./fanout.ts";

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

const printed = new WeakMap<DocumentNode, string>();

/** Sends one result of the operation whose context it is keyed by; resolves when another may follow. */
type DirectLane = (result: ExecutionResult) => Promise<void>;
const lanes = new WeakMap<object, DirectLane>();

/** Lets the operation of `context` (one subscription) send its error-free results through `send`. */
export function openDirectLane(context: object, send: DirectLane): void {
  lanes.set(context, send);
}

function documentText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** The key of an operation in its scope; null when it must not be shared. */
export function operationKey(args: ExecutionArgs, scope: string | null): string | null {
  if (scope === null) return null;
  const text = [scope, args.operationName ?? "", stableJson(args.variableValues), documentText(args.document)].join("\n");
  return createHash("sha256").update(text).digest("base64url");
}

export function sharedSubscriptionsPlugin<C>(options: SharedSubscriptionsOptions<C>): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn((args) => sharedSubscribe(args as ExecutionArgs, options));
    },
  };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value;

async function sharedSubscribe<C>(
  args: ExecutionArgs,
  options: SharedSubscriptionsOptions<C>,
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
    ended = true;
    leave();
    await iterator.return?.();
  };
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      for (;;) {
        if (ended) return done();
        let item: IteratorResult<unknown>;
        try {
          item = await iterator.next();
        } catch (error) {
          await end();
          throw wrap(error);
        }
        if (item.done) {
          ended = true;
          leave();
          return done();
        }
        const result = await resolve(item.value);
        if (!lane || result.errors?.length) return { value: result, done: false };
        // return() (the client's complete, a closed socket) may have come while it resolved.
        if (ended) return done();
        await lane(result);
        options.delivered?.();
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
