// /metrics with WEB_CONCURRENCY above 1: a scrape reaches one API process, and the worker (with
// the engine's metrics) runs in the supervisor. So that a scrape answers for all of them, the API
// process that took it asks the supervisor, which collects every API process's metrics and its own
// over the cluster's IPC channel and sums them (prom-client's AggregatorRegistry: counters,
// histograms and our gauges are summed; prom-client's process metrics carry their own rule).
import cluster, { type Worker } from "node:cluster";
import { randomUUID } from "node:crypto";
import { AggregatorRegistry, type Registry } from "prom-client";

/** One process's metrics as registry.getMetricsAsJSON() gives them (what aggregate() takes). */
type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

type Message =
  | { type: "stepstream:metrics-ask"; id: string }
  | { type: "stepstream:metrics-told"; id: string; metrics?: MetricsJson; error?: string }
  | { type: "stepstream:metrics-scrape"; id: string }
  | { type: "stepstream:metrics-scraped"; id: string; body?: string; error?: string };

const TIMEOUT_MS = 5_000;

/** Resolves with the first message `accept` takes (it returns the value), or rejects after TIMEOUT_MS. */
function reply<T>(
  on: (listener: (message: Message) => void) => void,
  off: (listener: (message: Message) => void) => void,
  accept: (message: Message) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (message: Message) => {
      const value = accept(message);
      if (value === undefined) return;
      clearTimeout(timer);
      off(listener);
      resolve(value);
    };
    const timer = setTimeout(() => {
      off(listener);
      reject(new Error("No answer from the other processes of the cluster"));
    }, TIMEOUT_MS);
    on(listener);
  });
}

/**
 * In an API process of a cluster: answers the supervisor's requests for this process's metrics,
 * and returns the scrape that asks the supervisor for everyone's.
 */
export function clusterScrape(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  process.on("message", (message: Message) => {
    if (message?.type !== "stepstream:metrics-ask") return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: "stepstream:metrics-told", id: message.id, metrics } satisfies Message),
      (error: unknown) => process.send?.({ type: "stepstream:metrics-told", id: message.id, error: String(error) } satisfies Message),
    );
  });
  return async () => {
    const id = randomUUID();
    const answer = reply(
      (listener) => process.on("message", listener),
      (listener) => process.off("message", listener),
      (message) => (message?.type === "stepstream:metrics-scraped" && message.id === id ? message : undefined),
    );
    process.send?.({ type: "stepstream:metrics-scrape", id } satisfies Message);
    const { body, error } = await answer;
    if (body === undefined) throw new Error(`The supervisor could not collect the metrics: ${error ?? "no answer"}`);
    return { contentType: registry.contentType, body };
  };
}

/** Asks one API process for its metrics. */
function metricsOf(worker: Worker): Promise<MetricsJson> {
  const id = randomUUID();
  const answer = reply(
    (listener) => worker.on("message", listener),
    (listener) => worker.off("message", listener),
    (message) => (message?.type === "stepstream:metrics-told" && message.id === id ? message : undefined),
  );
  worker.send({ type: "stepstream:metrics-ask", id } satisfies Message);
  return answer.then(({ metrics, error }) => metrics ?? Promise.reject(new Error(error ?? "no metrics")));
}

/** In the supervisor: answers the API processes' scrapes with everyone's metrics, `own` (the worker's) included. */
export function serveClusterScrapes(own: Registry | null): void {
  cluster.on("message", (from: Worker, message: Message) => {
    if (message?.type !== "stepstream:metrics-scrape") return;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    Promise.all([...workers.map(metricsOf), ...(own ? [own.getMetricsAsJSON()] : [])])
      .then((all) => AggregatorRegistry.aggregate(all).metrics())
      .then(
        (body) => from.send({ type: "stepstream:metrics-scraped", id: message.id, body } satisfies Message),
        (error: unknown) => from.send({ type: "stepstream:metrics-scraped", id: message.id, error: String(error) } satisfies Message),
      );
  });
}
