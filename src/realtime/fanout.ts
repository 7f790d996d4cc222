// What lets many subscribers of the same thing pay for it once: 1,000 subscribers of one execution
// used to read their payload from the database 1,000 times per event. Two kinds of sharing:
// - share(key, fn): the result of one event's resolution, kept for a short while after it settled,
//   so subscribers that reach the same event a little later (their socket was busy) reuse it. The
//   key must name the event (its cause), never just the thing read: a later event is a new key.
// - join(key, since, fn): a read that is in flight, and only while it is, and only if it started at
//   or after `since` (performance.now() when the caller learned it must read): an older read may
//   miss what the caller was notified of.

/** A source value with the event it stands for: subscribers with the same operation and cause share its resolution. */
export class SourceEvent<T = unknown> {
  constructor(
    readonly value: T,
    /** Names the committed state this value reflects, e.g. "execution:<id>#12"; null: never shared. */
    readonly cause: string | null,
  ) {}
}

/** JSON with sorted object keys, for keys: `{a, b}` and `{b, a}` are the same variables. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export type Fanout = {
  /**
   * Counts a subscriber of `operation` until the returned function is called. A result is only
   * worth keeping while another subscriber may still want it: with one subscriber, keeping it would
   * only hold memory a stalled socket should not hold (its results would outlive their write).
   */
  enter(operation: string): () => void;
  /** Subscribers of `operation` counted by enter() now. */
  subscribers(operation: string): number;
  share<T>(key: string, fn: () => Promise<T>): Promise<T>;
  join<T>(key: string, since: number, fn: () => Promise<T>): Promise<T>;
  /** Entries held (tests use it to prove nothing is kept). */
  readonly size: number;
  close(): void;
};

export type FanoutOptions = {
  /**
   * How long a settled shared resolution stays reusable: between this and twice it (default 5 s,
   * so that a subscriber whose socket was slow still finds it).
   */
  retainMs?: number;
  /**
   * At most this many settled results per generation (default 1,000): a burst of events rotates
   * the generations early, so what is kept is bounded by count as well as by time.
   */
  maxRetained?: number;
};

export function createFanout(options: FanoutOptions = {}): Fanout {
  const retainMs = options.retainMs ?? 5_000;
  const maxRetained = options.maxRetained ?? 1_000;
  const counts = new Map<string, number>();
  // Two generations instead of a timer per entry: every retainMs the older one is dropped.
  let current = new Map<string, Promise<unknown>>();
  let previous = new Map<string, Promise<unknown>>();
  const inFlight = new Map<string, { startedAt: number; promise: Promise<unknown> }>();
  const rotate = setInterval(() => {
    previous = current;
    current = new Map();
  }, retainMs);
  rotate.unref();

  return {
    enter(operation) {
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        const n = (counts.get(operation) ?? 1) - 1;
        if (n > 0) counts.set(operation, n);
        else counts.delete(operation);
      };
    },
    subscribers(operation) {
      return counts.get(operation) ?? 0;
    },
    share<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const found = current.get(key) ?? previous.get(key);
      if (found) return found as Promise<T>;
      const promise = fn();
      if (current.size >= maxRetained) {
        previous = current;
        current = new Map();
      }
      current.set(key, promise);
      // A failed resolution is not kept: the next subscriber tries again.
      promise.catch(() => {
        if (current.get(key) === promise) current.delete(key);
        if (previous.get(key) === promise) previous.delete(key);
      });
      return promise;
    },
    join<T>(key: string, since: number, fn: () => Promise<T>): Promise<T> {
      const found = inFlight.get(key);
      if (found && found.startedAt >= since) return found.promise as Promise<T>;
      const entry = { startedAt: performance.now(), promise: fn() };
      const promise = entry.promise;
      inFlight.set(key, entry);
      const forget = () => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      };
      promise.then(forget, forget);
      return promise;
    },
    get size() {
      return current.size + previous.size + inFlight.size;
    },
    close() {
      clearInterval(rotate);
      current.clear();
      previous.clear();
      inFlight.clear();
      counts.clear();
    },
  };
}
