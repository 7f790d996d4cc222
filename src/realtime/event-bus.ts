// The event bus between the engine (which publishes committed events) and subscriptions. One
// `EventTarget` carries the events: an in-memory one within a process, Redis pub/sub across
// processes. Each subscriber has a bounded queue of its own; a subscriber that falls too far
// behind is dropped with a SubscriptionOverflowError instead of growing memory or (like yoga's
// default pubsub) throwing an uncaught error that ends the process.
import { setMaxListeners } from "node:events";
import type { EngineEvent } from "../engine/events.ts";
import type { OutageLog } from "./redis-outages.ts";
import { createRedisTransport } from "./redis-transport.ts";

/** Topic of every event of one execution. */
export const executionTopic = (executionId: string) => `execution:${executionId}`;
/** Topic of every event of every execution of one tenant. */
export const tenantTopic = (tenantId: string) => `tenant:${tenantId}`;

/** What carries events: `new EventTarget()` or the Redis event target. */
export type Transport = Pick<EventTarget, "addEventListener" | "removeEventListener" | "dispatchEvent">;

/**
 * A subscriber fell more than `limit` events behind on `topic`. Its iterator ends with this error
 * once it has delivered what was buffered; events after that were not kept.
 */
export class SubscriptionOverflowError extends Error {
  constructor(
    readonly topic: string,
    readonly limit: number,
  ) {
    super(
      `The subscription fell more than ${limit} events behind and was ended; resubscribe with ` +
        "afterSequence set to the last sequence you received to continue without a gap.",
    );
    this.name = "SubscriptionOverflowError";
  }
}

/**
 * What a subscription made with `{ rechecks: true }` yields besides events: "read what you may
 * have missed". Sent after the Redis transport reconnected (publishes meanwhile were dropped) and
 * while a topic has been quiet for the idle recheck interval (a notification may have been lost).
 */
export type Recheck = { readonly recheck: true };
export const RECHECK: Recheck = Object.freeze({ recheck: true });
export const isRecheck = (item: EngineEvent | Recheck): item is Recheck => item === RECHECK;

export type EventSubscription<T extends EngineEvent | Recheck = EngineEvent> = AsyncIterableIterator<T> & {
  readonly topic: string;
  /**
   * performance.now() when the newest event or recheck reached this subscription (or when it was
   * made): a read started at or after it sees everything that had been notified.
   */
  readonly lastArrival: number;
  /** Takes every buffered event without waiting (for coalescing); [] when none is buffered. */
  drain(): EngineEvent[];
  /** Removes the listener at once and ends the iterator; a pending next() resolves as done. */
  return(): Promise<IteratorReturnResult<undefined>>;
};

export type EventBus = {
  /** Publishes committed events to `execution:<id>` and `tenant:<tenantId>`. Never throws. */
  publish(events: readonly EngineEvent[]): void;
  /** Starts listening at once (before the first next()), with a bounded buffer. */
  subscribe(topic: string): EventSubscription;
  subscribe(topic: string, options: { rechecks: true }): EventSubscription<EngineEvent | Recheck>;
  /** Sends a recheck to every subscription that takes them (all topics, or one). */
  recheck(topic?: string): void;
  /** Listeners this bus holds, on one topic or on all; tests use it to prove nothing leaks. */
  listenerCount(topic?: string): number;
  /** Ends every subscription and closes the transport. */
  close(): Promise<void>;
};

export type EventBusOptions = {
  /** Carry events through Redis pub/sub so every process sees every event. */
  redisUrl?: string;
  /** Events one subscriber may have pending before it is dropped (default 1000). */
  maxBufferPerSubscriber?: number;
  /** Another transport (tests); wins over redisUrl. */
  transport?: Transport;
  /** Where transport errors go (Redis connection problems); default console.error. */
  onError?: (message: string, error: unknown) => void;
  /** Where a Redis outage and its end are reported, one line each; default console. */
  log?: OutageLog;
  /**
   * A topic with rechecking subscribers that has had no event for this long gets a recheck
   * (all its subscribers at once, so that their reads can be shared); 0 or unset: never.
   */
  idleRecheckMs?: number;
  /** Told of every subscriber dropped for falling behind (metrics). */
  onOverflow?: (topic: string) => void;
};

export function createEventBus(options: EventBusOptions = {}): EventBus {
  const limit = options.maxBufferPerSubscriber ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("maxBufferPerSubscriber must be a positive integer");
  const onError = options.onError ?? ((message, error) => console.error(message, error));
  const active = new Set<Subscription>();
  const recheck = (topic?: string) => {
    for (const s of active) if (topic === undefined || s.topic === topic) s.wake();
  };
  const redis =
    !options.transport && options.redisUrl
      ? createRedisTransport(options.redisUrl, { onError, log: options.log ?? console, onReconnect: () => recheck() })
      : undefined;
  const transport: Transport = options.transport ?? redis?.target ?? unlimitedEventTarget();
  let closed = false;
  const idleMs = options.idleRecheckMs ?? 0;
  const idleTimer = idleMs > 0 ? setInterval(() => wakeIdleTopics(active, idleMs), Math.max(1, idleMs / 2)) : undefined;
  idleTimer?.unref();

  return {
    publish(events) {
      if (closed) return;
      for (const event of events) {
        for (const topic of [executionTopic(event.executionId), tenantTopic(event.tenantId)]) {
          try {
            transport.dispatchEvent(new CustomEvent(topic, { detail: event }));
          } catch (error) {
            // The engine has committed already; a transport problem must not fail its work.
            onError(`Could not publish an event to ${topic}`, error);
          }
        }
      }
    },
    subscribe(topic: string, subscribeOptions?: { rechecks: true }) {
      const rechecks = subscribeOptions?.rechecks ?? false;
      const subscription = new Subscription(topic, limit, transport, rechecks, (s) => active.delete(s), options.onOverflow);
      if (closed) void subscription.return();
      else active.add(subscription);
      return subscription as EventSubscription & EventSubscription<EngineEvent | Recheck>;
    },
    recheck,
    listenerCount(topic) {
      if (topic === undefined) return active.size;
      let n = 0;
      for (const s of active) if (s.topic === topic) n++;
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(idleTimer);
      await Promise.all([...active].map((s) => s.return()));
      await redis?.close();
    },
  };
}

/** Events that crossed Redis arrive as JSON: `at` comes back as a string. */
function reviveEvent(detail: unknown): EngineEvent | undefined {
  if (typeof detail !== "object" || detail === null) return undefined;
  const event = detail as EngineEvent & { at: Date | string };
  return event.at instanceof Date ? event : { ...event, at: new Date(event.at) };
}

/** Wakes every rechecking subscription of each topic that has been quiet for `idleMs`, all of a topic together. */
function wakeIdleTopics(active: ReadonlySet<Subscription>, idleMs: number): void {
  const latest = new Map<string, number>();
  for (const s of active) {
    if (s.rechecks) latest.set(s.topic, Math.max(latest.get(s.topic) ?? 0, s.lastArrival));
  }
  const now = performance.now();
  for (const s of [...active]) {
    if (s.rechecks && now - (latest.get(s.topic) ?? now) >= idleMs) s.wake();
  }
}

type Waiter = {
  resolve: (result: IteratorResult<EngineEvent | Recheck, undefined>) => void;
  reject: (error: unknown) => void;
};

// A hand-written iterator rather than an async generator: a generator suspended in `await`
// cannot run `return()` until it resumes, so a disconnected client would keep its listener until
// the next event arrived. Here `return()` removes the listener synchronously.
class Subscription implements EventSubscription<EngineEvent | Recheck> {
  private queue: EngineEvent[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private overflow: SubscriptionOverflowError | undefined;
  private ended = false;
  private recheckPending = false;
  lastArrival = performance.now();

  constructor(
    readonly topic: string,
    private readonly limit: number,
    private readonly transport: Transport,
    readonly rechecks: boolean,
    private readonly onEnd: (s: Subscription) => void,
    private readonly onOverflow?: (topic: string) => void,
  ) {
    transport.addEventListener(topic, this.listener);
  }

  // Runs inside dispatchEvent: it must never throw (EventTarget would report it as uncaught).
  private readonly listener = (event: Event): void => {
    if (this.ended || this.overflow) return;
    const value = reviveEvent((event as CustomEvent<unknown>).detail);
    if (!value) return;
    this.lastArrival = performance.now();
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value, done: false });
      return;
    }
    if (this.queue.length - this.head >= this.limit) {
      this.overflow = new SubscriptionOverflowError(this.topic, this.limit);
      this.release();
      this.onOverflow?.(this.topic);
      return;
    }
    this.queue.push(value);
  };

  /** A recheck: delivered after what is buffered; several pending ones are one. */
  wake(): void {
    if (!this.rechecks || this.ended || this.overflow) return;
    this.lastArrival = performance.now();
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: RECHECK, done: false });
      return;
    }
    this.recheckPending = true;
  }

  private release(): void {
    this.transport.removeEventListener(this.topic, this.listener);
    this.onEnd(this);
  }

  private take(): EngineEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const value = this.queue[this.head++];
    // Compact now and then so a long-lived subscription does not keep delivered events.
    if (this.head >= 1024 || this.head === this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  next(): Promise<IteratorResult<EngineEvent | Recheck, undefined>> {
    const value = this.take();
    if (value) return Promise.resolve({ value, done: false });
    if (this.recheckPending && !this.overflow && !this.ended) {
      this.recheckPending = false;
      return Promise.resolve({ value: RECHECK, done: false });
    }
    if (this.overflow) {
      const error = this.overflow;
      this.overflow = undefined;
      this.ended = true;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error("EventSubscription.next() called while another next() is pending"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  drain(): EngineEvent[] {
    const events = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return events;
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    if (!this.ended) {
      this.ended = true;
      this.queue = [];
      this.head = 0;
      // After an overflow the listener is gone already.
      if (!this.overflow) this.release();
      this.overflow = undefined;
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<EngineEvent | Recheck, undefined>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Node warns past 10 listeners per event type; 1,000 subscribers on one run are expected here. */
function unlimitedEventTarget(): EventTarget {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}
