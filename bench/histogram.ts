// Quantiles of what a prom-client histogram of the app observed between two snapshots (e.g. the
// engine's event commit delay during a measured window), estimated the way Prometheus's
// histogram_quantile does: linearly within the bucket the quantile falls in.
import type { Registry } from "prom-client";
import { parseMetrics } from "../test/support/metrics.ts";

/** Cumulative count per upper bound (seconds; +Inf last). */
export type HistogramSnapshot = { le: number; count: number }[];

export async function histogramSnapshot(registry: Registry | null, name: string): Promise<HistogramSnapshot | null> {
  const metric = registry?.getSingleMetric(name);
  if (!metric) return null;
  // A histogram's values name their series (…_bucket, _sum, _count); Metric's type does not say so.
  const { values } = (await metric.get()) as { values: { metricName?: string; labels: Record<string, string | number>; value: number }[] };
  return values
    .filter((v) => v.metricName === `${name}_bucket`)
    .map((v) => ({ le: v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le);
}

/** The same, of a histogram another process serves at `url` (Prometheus's text format, behind a bearer token). */
export async function scrapedHistogram(url: string, token: string, name: string): Promise<HistogramSnapshot | null> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return null;
  const buckets: HistogramSnapshot = [];
  for (const [series, count] of parseMetrics(await res.text())) {
    const le = series.startsWith(`${name}_bucket{`) ? series.match(/le="([^"]+)"/)?.[1] : undefined;
    if (le !== undefined) buckets.push({ le: le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), count });
  }
  return buckets.length > 0 ? buckets.sort((a, b) => a.le - b.le) : null;
}

/** The q-quantile, in milliseconds, of what was observed from `before` to `after`; null if nothing was. */
export function quantileMs(before: HistogramSnapshot, after: HistogramSnapshot, q: number): number | null {
  const buckets = after.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      // Past the last finite bound Prometheus answers that bound; so does this.
      if (!Number.isFinite(le)) return lower * 1000;
      return (lower + ((le - lower) * (rank - below)) / Math.max(1, count - below)) * 1000;
    }
    lower = le;
    below = count;
  }
  return lower * 1000;
}
