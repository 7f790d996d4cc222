// A stream of a value read again every interval, yielding only when it changed: for state that no
// engine event announces (a bulk operation's progress, written by a worker in any process). The
// first read is yielded at once; the stream ends after a read marked `last`, a read of null (the
// thing is gone), or return().
import type { Stream } from "./streams.ts";

export type Poll<T> = { value: T; /** What must differ for the value to be yielded again. */ key: string; last: boolean };

type Done = IteratorReturnResult<undefined>;
const DONE: Done = { value: undefined, done: true };

export function pollingStream<T>(read: () => Promise<Poll<T> | null>, intervalMs: number): Stream<T> {
  let ended = false;
  let seen: string | null = null;
  let wake: (() => void) | null = null;
  const wait = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  const stream: Stream<T> = {
    async next() {
      for (;;) {
        if (ended) return DONE;
        if (seen !== null) await wait();
        if (ended) return DONE;
        const poll = await read();
        if (!poll) {
          ended = true;
          return DONE;
        }
        if (poll.key === seen && !poll.last) continue;
        seen = poll.key;
        if (poll.last) ended = true;
        return { value: poll.value, done: false };
      }
    },
    return() {
      ended = true;
      wake?.();
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
