// Plays the history in creation order, several runs at once, and keeps the total exact: every
// automatic retry the engine schedules is played too, and takes the place of a planned run further
// on. Which place is decided without regard to which run happened to finish first, so the same
// seed gives the same data:
// - the retries of the run in slot i replace the first remaining slots at or after i + window + 1;
// - slot k starts only once every slot before k - window is done, so a slot is never replaced
//   after it started (the set of replaced slots then no more depends on the order in which runs
//   finish than parked cars depend on the order they arrived in: each takes the first free place).
// Retries of the last slots find no place left; `overflow` counts them (the caller leaves fewer
// runs open instead).

export async function playInOrder<T>(
  slots: readonly T[],
  options: {
    concurrency: number;
    window: number;
    /** Plays slot `planned`; `onRetry` is called before each retry it plays. */
    play: (planned: T, onRetry: () => void) => Promise<void>;
  },
): Promise<{ overflow: number }> {
  const { concurrency, window } = options;
  const replaced = new Array<boolean>(slots.length).fill(false);
  const done = new Array<boolean>(slots.length).fill(false);
  let doneUpTo = 0;
  let overflow = 0;
  let running = 0;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const finish = (k: number) => {
    done[k] = true;
    while (doneUpTo < slots.length && done[doneUpTo]) doneUpTo += 1;
    notify();
  };
  const replaceAfter = (k: number) => {
    const free = replaced.findIndex((taken, j) => j > k + window && !taken);
    if (free === -1) overflow += 1;
    else replaced[free] = true;
  };

  const started: Promise<void>[] = [];
  for (let k = 0; k < slots.length; k++) {
    while (!failure && (doneUpTo < k - window || running >= concurrency)) {
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure) break;
    if (replaced[k]) {
      finish(k);
      continue;
    }
    running += 1;
    started.push(
      options
        .play(slots[k] as T, () => replaceAfter(k))
        .then(
          () => finish(k),
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => {
          running -= 1;
          notify();
        }),
    );
  }
  await Promise.all(started);
  if (failure) throw (failure as { error: unknown }).error;
  return { overflow };
}
