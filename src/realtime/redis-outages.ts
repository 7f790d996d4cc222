// One line when Redis becomes unreachable and one when it is back. ioredis emits an 'error' for
// every reconnect attempt (every 50 ms to 2 s) and each command queued meanwhile fails on its own;
// logged one by one, with the error objects, a 10 s outage made about 190 entries.
import type { Redis } from "ioredis";

export type OutageLog = { error(message: string): void; info(message: string): void };

export type RedisOutages = {
  /** False from a connection's first error until it is ready again. */
  readonly reachable: boolean;
  /** Reports the outages of `client` (and of every other client watched by the same tracker) once. */
  watch(client: Redis): void;
};

/** `name` says which connections these are in the log ("events", "rate limits"). */
export function createRedisOutages(name: string, log: OutageLog): RedisOutages {
  let downSince: number | null = null;
  return {
    get reachable() {
      return downSince === null;
    },
    watch(client) {
      client.on("error", (error: Error) => {
        if (downSince !== null) return;
        downSince = Date.now();
        log.error(`Redis unreachable (${name}): ${error.message || error.name}`);
      });
      client.on("ready", () => {
        if (downSince === null) return;
        log.info(`Redis reachable again after ${((Date.now() - downSince) / 1000).toFixed(1)} s (${name})`);
        downSince = null;
      });
    },
  };
}
