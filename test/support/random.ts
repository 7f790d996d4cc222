// Seeded randomness for drills: a failure can be replayed with the seed it logged
// (e.g. `DRILL_SEED=1234 npx vitest run test/e2e/engine-crash-drill.test.ts`).

export type Random = {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[];
};

/** The seed from `DRILL_SEED` when set, a fresh one otherwise. */
export function drillSeed(): number {
  const fromEnv = Number.parseInt(process.env.DRILL_SEED ?? "", 10);
  return Number.isSafeInteger(fromEnv) ? fromEnv >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

/** mulberry32: tiny, fast and good enough to pick moments and orders. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    seed,
    next,
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    shuffle(items) {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j] as (typeof copy)[number], copy[i] as (typeof copy)[number]];
      }
      return copy;
    },
  };
}

/** Lets `ms` pass: for choosing a moment (a drill's random gaps), never to wait for something to happen. */
export const pauseFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
