// Timers at a point in time that may be far away (a token's expiry): setTimeout fires at once for
// delays beyond 2^31 - 1 ms (~24.8 days), so longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` at `at` (at once if it has passed); returns a function that cancels it. */
export function runAt(at: Date, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = at.getTime() - Date.now();
    timer = setTimeout(wait > MAX_TIMER_MS ? arm : fn, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
  };
  arm();
  return () => clearTimeout(timer);
}
