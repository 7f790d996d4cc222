// Iterators that subscriptions are built from. None is an async generator: a generator suspended
// in `await` cannot run `return()` until it resumes, so a client that disconnects while nothing
// happens would keep its bus listener until the next event. Here `return()` ends the underlying
// EventSubscription at once, which also settles a next() that is waiting on it.
import type { ExecutionEventType, ExecutionStatus } from "@prisma/client";
import type { EngineEvent } from "../engine/events.ts";
import { type EventSubscription, isRecheck, type Recheck, SubscriptionOverflowError } from "./event-bus.ts";

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
  /**
   * The event the value next() returned last stands for ("<topic>#<execution>:<sequence>"):
   * subscribers that receive a value with the same cause may share its resolution. Null or
   * missing: the value is resolved on its own.
   */
  cause?(): string | null;
  /** Present when the stream can stop reading while its values are delivered by someone else (delivery-groups.ts). */
  parking?: Parking;
};

/**
 * How a stream of an execution's events hands its live reading over and takes it back: a delivery
 * group delivers the same values to many subscribers at once, so theirs need not read anything
 * meanwhile (no bus listener, no buffer). Called only between next() calls.
 */
export type Parking = {
  /** The sequence of the last event the stream has delivered (or drained). */
  position(): number;
  /**
   * Stops listening for live events and drops what is buffered; false when the stream has ended.
   * `onEnd` is called if the stream is ended while parked (return(), a token that expired).
   */
  park(onEnd: () => void): boolean;
  /**
   * Listens again, as if every event up to `after` had been delivered: what follows is read from
   * the database, so nothing committed meanwhile is missed and nothing is delivered twice.
   */
  resume(after: number): void;
};

/** A stream whose buffered items can be taken without waiting (to coalesce a burst into one value). */
export type Feed<E> = Stream<E> & { readonly topic: string; drain(): E[] };

/** What a cause is made of: an event's execution and its place in that execution's log. */
type Caused = { executionId: string; sequence: number };
const causeOf = (topic: string, event: Caused) => `${topic}#${event.executionId}:${event.sequence}`;

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
 * what it keeps. Ends when `handle` marks an outcome `last`, when the source ends, or on
 * return(). An error (from the source or the handler) ends it and is rethrown once. The cause of
 * a value is the last event `handle` saw, drained ones included.
 */
export function transformEvents<T, E extends Caused = EngineEvent>(
  source: Feed<E> | EventSubscription,
  handle: (event: E, source: Feed<E>) => Outcome<T> | Promise<Outcome<T>>,
): Stream<T> {
  const feed = source as Feed<E>;
  let done = false;
  let lastEvent: E | undefined;
  let cause: string | null = null;
  const tracked: Feed<E> = {
    topic: feed.topic,
    next: () => feed.next(),
    return: () => feed.return(),
    drain: () => {
      const drained = feed.drain();
      if (drained.length > 0) lastEvent = drained.at(-1);
      return drained;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const finish = () => {
    done = true;
    void feed.return();
  };
  return {
    async next(): Promise<IteratorResult<T, undefined>> {
      try {
        while (!done) {
          const event = await feed.next();
          if (event.done || done) break;
          lastEvent = event.value;
          const outcome = await handle(event.value, tracked);
          if (done) break;
          if (outcome.last) finish();
          if ("value" in outcome) {
            cause = causeOf(feed.topic, lastEvent);
            return { value: outcome.value, done: false };
          }
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
    cause: () => cause,
    // What it skips it skips again after a resume: the handler keeps no state of its own.
    ...(feed.parking ? { parking: feed.parking } : {}),
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
  subscribe(): EventSubscription<EngineEvent | Recheck>;
  /** Deliver rows with a sequence greater than this. */
  after: number;
  /**
   * Rows with sequence > after, ordered by sequence, at most `limit` of them, read by a query that
   * started at or after `since` (performance.now()): such a read may be shared (Fanout.join).
   */
  load(after: number, limit: number, since: number): Promise<Row[]>;
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
 * subscription is simply replaced: this stream never ends with SubscriptionOverflowError. A recheck
 * (after a Redis reconnect, or a quiet interval) reads too: a lost notification strands no one.
 */
export function replayThenLive<Row extends Caused>(options: ReplayOptions<Row>): Feed<Row> {
  const { load, sequenceOf, isLast } = options;
  const pageSize = options.pageSize ?? 500;
  let live = options.subscribe();
  let last = options.after;
  // The newest sequence read from the database so far (delivered or in the buffer).
  let known = options.after;
  let buffer: Row[] = [];
  let mustRead = true;
  // When the need to read arose: a read that started before then may miss what was notified.
  let since = live.lastArrival;
  let done = false;
  let cause: string | null = null;
  let parked: (() => void) | undefined;
  const needRead = () => {
    since = live.lastArrival;
    mustRead = true;
  };
  const finish = () => {
    done = true;
    buffer = [];
    void live.return();
    const onEnd = parked;
    parked = undefined;
    onEnd?.();
  };
  const parking: Parking = {
    position: () => last,
    park(onEnd) {
      if (done) return false;
      parked = onEnd;
      buffer = [];
      void live.return();
      return true;
    },
    resume(after) {
      if (done || !parked) return;
      parked = undefined;
      last = Math.max(last, after);
      // What was buffered when it parked is gone: it must be read again, not taken for known.
      known = last;
      buffer = [];
      live = options.subscribe();
      needRead();
    },
  };
  // Taking what the live subscription buffered on every pull keeps its queue short even while a
  // long replay is being delivered.
  const notice = (events: readonly (EngineEvent | Recheck)[]) => {
    for (const event of events) {
      if (isRecheck(event)) {
        needRead();
        continue;
      }
      if (event.sequence <= known) continue;
      // With 1,000 subscribers on one run, reading each event back per subscriber was most of
      // the database load; the next event in order is taken from the notification itself.
      // At most a page is held: beyond that the database has the rest (a consumer that pulls, but
      // slower than events come, would otherwise move the bounded live queue into this buffer).
      if (!mustRead && options.fromEvent && event.sequence === known + 1 && buffer.length < pageSize) {
        buffer.push(options.fromEvent(event));
        known = event.sequence;
      } else {
        needRead();
      }
    }
  };

  /** The next live event, or "resubscribed" when the subscription overflowed and was replaced. */
  async function nextLive(): Promise<IteratorResult<EngineEvent | Recheck, undefined> | "resubscribed"> {
    try {
      return await live.next();
    } catch (error) {
      if (!(error instanceof SubscriptionOverflowError) || done) throw error;
      live = options.subscribe();
      mustRead = true;
      since = live.lastArrival;
      return "resubscribed";
    }
  }

  async function fill(): Promise<void> {
    for (;;) {
      if (mustRead) {
        const rows = await load(last, pageSize, since);
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
      cause = causeOf(live.topic, row);
      if (isLast(row)) finish();
      return { value: row, done: false };
    },
    return() {
      finish();
      return Promise.resolve(DONE);
    },
    get topic() {
      return live.topic;
    },
    // What is buffered, up to and including the last row (nothing follows it).
    drain() {
      if (done) return [];
      notice(live.drain());
      const end = buffer.findIndex(isLast);
      const rows = end < 0 ? buffer : buffer.slice(0, end + 1);
      buffer = end < 0 ? [] : buffer.slice(end + 1);
      const tail = rows.at(-1);
      if (tail) {
        last = sequenceOf(tail);
        if (isLast(tail)) finish();
      }
      return rows;
    },
    cause: () => cause,
    parking,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
