// A seeded run's clock. The seed runs the engine's own runner, which takes every timestamp from
// services.now; this clock makes that "now" move through plausible durations instead of real time,
// so 30 days of history take seconds. Scripted actions wait on it for their end time and the clock
// wakes the earliest waiter first (a discrete-event simulation), so the steps of a batch overlap.
//
// The clock moves only while the run is quiet: nothing of it being written (see `hold`) and two
// turns of the event loop since the last move (the run's buffer commits one turn after a change).
// A run's events therefore come out in the same order and at the same times however fast the
// database answers, which keeps a seed reproducible although many runs go on at once.

export type SimClock = {
  now(): number;
  /** Moves the clock forward to `at` (never back); for the seed between two stints of a run. */
  set(at: number): void;
  /** Resolves once the clock reached `at` (Infinity: never), or at once when `signal` aborts. */
  until(at: number, signal: AbortSignal): Promise<void>;
  /** Keeps the clock still while `work` (a commit or cancel of this run) is under way. */
  hold<T>(work: Promise<T>): Promise<T>;
  /** Runs `fire` at `at`, before any waiter later than that wakes: the run's deadline, a planned cancel. */
  interrupt(at: number, fire: () => void): void;
};

type Waiter = { at: number; wake: () => void };

export function createSimClock(start: number): SimClock {
  let current = start;
  let busy = 0;
  let scheduled = false;
  // Both kept in time order; equal times keep the order they were added in.
  const waiters: Waiter[] = [];
  const interrupts: { at: number; fire: () => void }[] = [];

  const insert = <T extends { at: number }>(list: T[], item: T) => {
    const index = list.findIndex((other) => other.at > item.at);
    list.splice(index === -1 ? list.length : index, 0, item);
  };
  const schedule = () => {
    if (scheduled || waiters.length === 0) return;
    scheduled = true;
    setImmediate(() => setImmediate(tick));
  };
  const tick = () => {
    scheduled = false;
    const next = waiters[0];
    if (busy > 0 || !next) return;
    const interrupt = interrupts[0];
    if (interrupt && interrupt.at < next.at) {
      interrupts.shift();
      current = Math.max(current, interrupt.at);
      interrupt.fire();
    } else {
      waiters.shift();
      current = Math.max(current, next.at);
      next.wake();
    }
    schedule();
  };

  return {
    now: () => current,
    set(at) {
      current = Math.max(current, at);
    },
    until(at, signal) {
      if (signal.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const waiter: Waiter = {
          at,
          wake: () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        insert(waiters, waiter);
        schedule();
      });
    },
    hold(work) {
      busy += 1;
      const release = () => {
        busy -= 1;
        schedule();
      };
      work.then(release, release);
      return work;
    },
    interrupt(at, fire) {
      insert(interrupts, { at, fire });
    },
  };
}
