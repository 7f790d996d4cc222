// All-time duration percentiles come from the execution rollup's histogram (read/rollup.ts): each
// is within a factor 2^(1/16) (4.4%) of percentile_cont over the same runs.
export const HISTOGRAM_ERROR = 2 ** (1 / 16) - 1;

/** Matches a number within the histogram's error of `exact` (an asymmetric matcher for toEqual). */
export function nearPercentile(exact: number) {
  return {
    asymmetricMatch: (actual: unknown) =>
      typeof actual === "number" && Math.abs(actual - exact) <= HISTOGRAM_ERROR * Math.abs(exact) + 1e-9,
    toString: () => `nearPercentile(${exact})`,
    toAsymmetricMatcher: () => `nearPercentile(${exact})`,
  };
}
