// Redis pub/sub as the bus's EventTarget, so every process sees the events any process publishes
// (a process receives its own publications back through Redis; it never delivers them twice).
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { Transport } from "./event-bus.ts";
import { createRedisOutages, type OutageLog } from "./redis-outages.ts";

export type RedisTransport = { target: Transport; close(): Promise<void> };

type OnError = (message: string, error: unknown) => void;

export type RedisTransportOptions = {
  onError: OnError;
  log: OutageLog;
  /** The subscriber connection is back after it was lost: what was published meanwhile never came. */
  onReconnect?: () => void;
};

export function createRedisTransport(url: string, options: RedisTransportOptions): RedisTransport {
  const { onError, log } = options;
  let closing = false;
  const outages = createRedisOutages("events", {
    error: (message) => {
      if (!closing) log.error(message);
    },
    info: (message) => {
      if (!closing) log.info(message);
    },
  });
  // Failures while Redis is away are the outage, reported once.
  const report: OnError = (message, error) => {
    if (!closing && outages.reachable) onError(message, error);
  };
  // A publish fails (and is reported) after ioredis's retries: the event is in the database and
  // subscribers catch up from there, and an outage does not pile up publishes in memory. Subscribe
  // commands instead wait for the reconnect, so subscriptions survive an outage.
  const publishClient = new Redis(url);
  const subscribeClient = new Redis(url, { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; without an 'error' listener it would print every attempt.
  outages.watch(publishClient);
  outages.watch(subscribeClient);
  let lost = false;
  subscribeClient.on("close", () => (lost = !closing));
  subscribeClient.on("ready", () => {
    if (!lost) return;
    lost = false;
    // ioredis has sent the SUBSCRIBEs again by now; an event published before they took effect
    // is caught by the idle recheck.
    options.onReconnect?.();
  });
  // The event target calls these without awaiting them; a rejection (Redis down, or closed while
  // a command was queued) would be unhandled, and an unhandled rejection ends the process.
  catchRejections(publishClient, ["publish"], report);
  catchRejections(subscribeClient, ["subscribe", "unsubscribe"], report);
  const target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    target,
    async close() {
      closing = true;
      // disconnect, not quit: quit waits for Redis, which may be the thing that is down.
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

function catchRejections(client: Redis, methods: readonly ("publish" | "subscribe" | "unsubscribe")[], report: OnError) {
  for (const name of methods) {
    const original = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(client, name, {
      configurable: true,
      value: (...args: unknown[]) => {
        const result = original(...args);
        result.catch((error: unknown) => report(`Redis ${name} failed`, error));
        return result;
      },
    });
  }
}
