// Iterators that subscriptions are built from. None is an async generator: a generator suspended
// in `await` cannot run `return()` until it resumes, so a client that disconnects while nothing
// happens would keep its bus listener until the next event. Here `return()` ends the underlying
// EventSubscription at once, which also settles a next() that is waiting on it.
import type { ExecutionEventType, ExecutionStatus } from "@prisma/client";
import type { EngineEvent } from "../engine/events.ts";
import { type EventSubscription, SubscriptionOverflowError } from "./event-bus.ts";

const TERMINAL_EVENTS: ReadonlySet<ExecutionEventType> = new Set([
  "EXECUTION_COMPLETED",
  "EXECUTION_FAILED",
  "EXECUTION_CANCELLED",
  "EXECUTION_TIMED_OUT",
]);

const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

/** The event that ends an execution: nothing follows it in its log. */
export const isTerminalEvent = (type: ExecutionEventType): boolean => TERMINAL_EVENTS.has(type);

/** An execution in this status has had its terminal event. */
export const isTerminalStatus = (status: ExecutionStatus): boolean => TERMINAL_STATUSES.has(status);

/** What a handler makes of one event: a value to yield or not, and whether the stream ends after it. */
export type Outcome<T> = { value: T; last?: boolean } | { skip: true; last?: boolean };

/** An async iterator whose return() is always there and ends it at once. */
export type Stream<T> = {
  next(): Promise<IteratorResult<T, undefined>>;
  return(): Promise<IteratorReturnResult<undefined>>;
  [Symbol.asyncIterator](): Stream<T>;
};

type Done = IteratorReturnResult<undefined>;
const DONE: Done = { value: undefined, done: true };

/** An iterator that has already ended (for a subscription with nothing left to send). */
export function emptyStream<T>(): Stream<T> {
  return {
    next: () => Promise.resolve(DONE),
    return: () => Promise.resolve(DONE),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Runs every live event through `handle` (which may be async, e.g. a database check) and yields
 * what it keeps. Ends when `handle` marks an outcome `last`, when the subscription ends, or on
 * return(). An error (from the subscription or the handler) ends it and is rethrown once.
 */
export function transformEvents<T>(
  source: EventSubscription,
  handle: (event: EngineEvent, source: EventSubscription) => Outcome<T> | Promise<Outcome<T>>,
): Stream<T> {
  let done = false;
  const finish = () => {
    done = true;
    void source.return();
  };
  return {
    async next(): Promise<IteratorResult<T, undefined>> {
      try {
        while (!done) {
          const event = await source.next();
          if (event.done || done) break;
          const outcome = await handle(event.value, source);
          if (done) break;
          if (outcome.last) finish();
          if ("value" in outcome) return { value: outcome.value, done: false };
        }
      } catch (error) {
        if (done) return DONE;
        finish();
        throw error;
      }
      finish();
      return DONE;
    },
    return() {
      finish();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export type ReplayOptions<Row> = {
  /**
   * Subscribes to the live events; called at once (before the first read, so nothing committed
   * meanwhile is missed) and again if that subscription overflows.
   */
  subscribe(): EventSubscription;
  /** Deliver rows with a sequence greater than this. */
  after: number;
  /** Rows with sequence > after, ordered by sequence, at most `limit` of them. */
  load(after: number, limit: number): Promise<Row[]>;
  sequenceOf(row: Row): number;
  /** The row after which nothing follows (the execution's terminal event). */
  isLast(row: Row): boolean;
  /**
   * The row a live event stands for, when the event carries all of it. The next event in
   * sequence is then delivered without a read; anything else still goes through `load`.
   */
  fromEvent?(event: EngineEvent): Row;
  pageSize?: number;
};

/**
 * Persisted rows after `after`, then live ones: gapless, in order, without duplicates. Live
 * events serve only as notifications: whenever one is newer than the last delivered row, the rows
 * after that one are read from the database. That fills every gap (events committed while the
 * replay ran, events that two transactions or two processes published out of order) and turns a
 * burst into one query per page. As the database has every event, an overflowing live
 * subscription is simply replaced: this stream never ends with SubscriptionOverflowError.
 */
export function replayThenLive<Row>(options: ReplayOptions<Row>): Stream<Row> {
  const { load, sequenceOf, isLast } = options;
  const pageSize = options.pageSize ?? 500;
  let live = options.subscribe();
  let last = options.after;
  // The newest sequence read from the database so far (delivered or in the buffer).
  let known = options.after;
  let buffer: Row[] = [];
  let mustRead = true;
  let done = false;
  const finish = () => {
    done = true;
    buffer = [];
    void live.return();
  };
  // Taking what the live subscription buffered on every pull keeps its queue short even while a
  // long replay is being delivered.
  const notice = (events: readonly EngineEvent[]) => {
    for (const event of events) {
      if (event.sequence <= known) continue;
      // With 1,000 subscribers on one run, reading each event back per subscriber was most of
      // the database load; the next event in order is taken from the notification itself.
      if (!mustRead && options.fromEvent && event.sequence === known + 1) {
        buffer.push(options.fromEvent(event));
        known = event.sequence;
      } else {
        mustRead = true;
      }
    }
  };

  /** The next live event, or "resubscribed" when the subscription overflowed and was replaced. */
  async function nextLive(): Promise<IteratorResult<EngineEvent, undefined> | "resubscribed"> {
    try {
      return await live.next();
    } catch (error) {
      if (!(error instanceof SubscriptionOverflowError) || done) throw error;
      live = options.subscribe();
      mustRead = true;
      return "resubscribed";
    }
  }

  async function fill(): Promise<void> {
    for (;;) {
      if (mustRead) {
        const rows = await load(last, pageSize);
        if (done) return;
        // Only a loader that ignored `after` could return rows delivered already; never repeat one.
        buffer = rows.filter((row) => sequenceOf(row) > last);
        mustRead = rows.length >= pageSize;
        for (const row of buffer) known = Math.max(known, sequenceOf(row));
        if (buffer.length > 0) return;
        continue;
      }
      const event = await nextLive();
      // What overflowed is in the database: read it now, not when the next live event comes
      // (none may: the run's final event can be among the dropped ones).
      if (event === "resubscribed") continue;
      if (event.done || done) {
        done = true;
        return;
      }
      notice([event.value, ...live.drain()]);
      if (buffer.length > 0 && !mustRead) return;
    }
  }

  return {
    async next(): Promise<IteratorResult<Row, undefined>> {
      try {
        if (!done) notice(live.drain());
        if (!done && buffer.length === 0) await fill();
      } catch (error) {
        if (done) return DONE;
        finish();
        throw error;
      }
      const row = done ? undefined : buffer.shift();
      if (row === undefined) {
        finish();
        return DONE;
      }
      last = sequenceOf(row);
      if (isLast(row)) finish();
      return { value: row, done: false };
    },
    return() {
      finish();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
