// Two event buses sharing Redis stand for two processes: what one publishes, subscribers of the
// other receive, with `at` revived into a Date. Needs Redis (TEST_REDIS_URL, default local).
import { afterEach, describe, expect, it } from "vitest";
import { createEventBus, type EventBus, executionTopic, tenantTopic } from "../../src/realtime/event-bus.ts";
import { engineEvent, TENANT, waitFor } from "../unit/realtime/fake-events.ts";

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const A = "aaaaaaaa-0000-4000-8000-00000000000a";
const B = "bbbbbbbb-0000-4000-8000-00000000000b";

const buses: EventBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

function bus() {
  const created = createEventBus({ redisUrl, onError: (message, error) => console.error(message, error) });
  buses.push(created);
  return created;
}

/** Redis SUBSCRIBE is asynchronous: publish probes until the subscriber hears one. */
async function untilSubscribed(publisher: EventBus, subscriber: EventBus, topic: string) {
  const probe = subscriber.subscribe(topic);
  let heard = false;
  void probe.next().then(() => {
    heard = true;
  });
  const executionId = topic.startsWith("execution:") ? topic.slice("execution:".length) : A;
  for (let i = 0; !heard; i++) {
    publisher.publish([engineEvent(executionId, 1_000_000 + i)]);
    await waitFor(() => heard, 50).catch(() => {});
  }
  await probe.return();
}

describe("event bus over Redis", () => {
  it("carries events between buses in order, with Dates, and keeps topics apart", async () => {
    const publisher = bus();
    const subscriber = bus();
    const topic = executionTopic(A);
    const onA = subscriber.subscribe(topic);
    const onB = subscriber.subscribe(executionTopic(B));
    const onTenant = subscriber.subscribe(tenantTopic(TENANT));
    await untilSubscribed(publisher, subscriber, topic);
    onA.drain();
    onTenant.drain();
    const events = [1, 2, 3].map((sequence) => engineEvent(A, sequence));
    publisher.publish(events);
    for (const event of events) expect(await onA.next()).toEqual({ value: event, done: false });
    for (const event of events) expect(await onTenant.next()).toEqual({ value: event, done: false });
    expect(onB.drain()).toEqual([]);
  });

  it("delivers a bus's own publications once", async () => {
    const only = bus();
    const topic = executionTopic(A);
    const subscription = only.subscribe(topic);
    await untilSubscribed(only, only, topic);
    subscription.drain();
    only.publish([engineEvent(A, 7)]);
    expect((await subscription.next()).value?.sequence).toBe(7);
    only.publish([engineEvent(A, 8)]);
    expect((await subscription.next()).value?.sequence).toBe(8);
  });

  it("close() ends subscriptions and disconnects", async () => {
    const closing = createEventBus({ redisUrl });
    const subscription = closing.subscribe(executionTopic(A));
    const pending = subscription.next();
    await closing.close();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closing.listenerCount()).toBe(0);
  });

  it("survives a Redis that cannot be reached: the outage is reported once, nothing is thrown or left unhandled", async () => {
    const lines: string[] = [];
    const log = { error: (line: string) => lines.push(line), info: (line: string) => lines.push(line) };
    const down = createEventBus({ redisUrl: "redis://127.0.0.1:1", onError: (message) => lines.push(message), log });
    const subscription = down.subscribe(executionTopic(A));
    expect(() => down.publish([engineEvent(A, 1)])).not.toThrow();
    await waitFor(() => lines.length > 0);
    // ioredis keeps retrying; each attempt used to be reported.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lines).toEqual([expect.stringMatching(/^Redis unreachable \(events\): /)]);
    const pending = subscription.next();
    await down.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
