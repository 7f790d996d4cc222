import { describe, expect, it } from "vitest";
import {
  createEventBus,
  executionTopic,
  SubscriptionOverflowError,
  tenantTopic,
} from "../../../src/realtime/event-bus.ts";
import { countingTransport, engineEvent, TENANT } from "./fake-events.ts";

const A = "aaaaaaaa-0000-4000-8000-000000000000";
const B = "bbbbbbbb-0000-4000-8000-000000000000";

describe("createEventBus", () => {
  it("delivers published events in order on the execution's and the tenant's topic", async () => {
    const bus = createEventBus();
    const onExecution = bus.subscribe(executionTopic(A));
    const onTenant = bus.subscribe(tenantTopic(TENANT));
    const events = [engineEvent(A, 1), engineEvent(A, 2), engineEvent(A, 3, "EXECUTION_COMPLETED")];
    bus.publish(events);
    for (const subscription of [onExecution, onTenant]) {
      for (const event of events) expect(await subscription.next()).toEqual({ value: event, done: false });
    }
    await bus.close();
  });

  it("resolves a next() that was waiting when the event is published", async () => {
    const bus = createEventBus();
    const subscription = bus.subscribe(executionTopic(A));
    const pending = subscription.next();
    bus.publish([engineEvent(A, 1)]);
    expect((await pending).value?.sequence).toBe(1);
    await bus.close();
  });

  it("keeps topics apart", async () => {
    const bus = createEventBus();
    const onA = bus.subscribe(executionTopic(A));
    const onB = bus.subscribe(executionTopic(B));
    const onOtherTenant = bus.subscribe(tenantTopic("other"));
    bus.publish([engineEvent(B, 1), engineEvent(A, 1), engineEvent(B, 2)]);
    expect(onA.drain().map((e) => [e.executionId, e.sequence])).toEqual([[A, 1]]);
    expect(onB.drain().map((e) => [e.executionId, e.sequence])).toEqual([
      [B, 1],
      [B, 2],
    ]);
    expect(onOtherTenant.drain()).toEqual([]);
    await bus.close();
  });

  it("ends only the subscriber that overflows, after what it had buffered, and drops its listener", async () => {
    const transport = countingTransport();
    const bus = createEventBus({ transport, maxBufferPerSubscriber: 3 });
    const slow = bus.subscribe(executionTopic(A));
    const fast = bus.subscribe(executionTopic(A));
    const received: number[] = [];
    for (let sequence = 1; sequence <= 10; sequence++) {
      bus.publish([engineEvent(A, sequence)]);
      received.push(((await fast.next()).value?.sequence) as number);
    }
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The slow one was dropped on the 4th event: its listener is gone already.
    expect(transport.listeners(executionTopic(A))).toBe(1);
    expect(bus.listenerCount(executionTopic(A))).toBe(1);
    for (const sequence of [1, 2, 3]) expect((await slow.next()).value?.sequence).toBe(sequence);
    const error = await slow.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionOverflowError);
    expect((error as Error).message).toMatch(/resubscribe with afterSequence/);
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    await bus.close();
  });

  it("survives a burst far beyond every buffer without growing or throwing", async () => {
    const bus = createEventBus({ maxBufferPerSubscriber: 100 });
    const subscriptions = Array.from({ length: 5 }, () => bus.subscribe(tenantTopic(TENANT)));
    bus.publish(Array.from({ length: 5_000 }, (_, i) => engineEvent(A, i + 1)));
    expect(bus.listenerCount()).toBe(0);
    for (const s of subscriptions) {
      expect(s.drain()).toHaveLength(100);
      await expect(s.next()).rejects.toBeInstanceOf(SubscriptionOverflowError);
    }
    await bus.close();
  });

  it("return() removes the listener at once and settles a waiting next()", async () => {
    const transport = countingTransport();
    const bus = createEventBus({ transport });
    const subscription = bus.subscribe(executionTopic(A));
    expect(transport.listeners(executionTopic(A))).toBe(1);
    const pending = subscription.next();
    void subscription.return();
    // Synchronously, without any further event.
    expect(transport.listeners(executionTopic(A))).toBe(0);
    expect(bus.listenerCount()).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
    bus.publish([engineEvent(A, 1)]);
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
    await bus.close();
  });

  it("close() ends every subscription and ignores later publishes", async () => {
    const transport = countingTransport();
    const bus = createEventBus({ transport });
    const first = bus.subscribe(executionTopic(A));
    const second = bus.subscribe(tenantTopic(TENANT));
    const pending = first.next();
    await bus.close();
    expect(transport.listeners()).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await second.next()).toEqual({ value: undefined, done: true });
    bus.publish([engineEvent(A, 1)]);
    const late = bus.subscribe(executionTopic(A));
    expect(await late.next()).toEqual({ value: undefined, done: true });
    expect(transport.listeners()).toBe(0);
  });

  it("revives `at` into a Date when events arrive as JSON (through Redis)", async () => {
    const target = new EventTarget();
    const transport = {
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
      dispatchEvent: (event: Event) =>
        target.dispatchEvent(
          new CustomEvent(event.type, { detail: JSON.parse(JSON.stringify((event as CustomEvent).detail)) }),
        ),
    };
    const bus = createEventBus({ transport });
    const subscription = bus.subscribe(executionTopic(A));
    const event = engineEvent(A, 1);
    bus.publish([event]);
    expect(await subscription.next()).toEqual({ value: event, done: false });
    await bus.close();
  });

  it("does not let a failing transport fail the publisher", async () => {
    const errors: unknown[] = [];
    const bus = createEventBus({
      transport: {
        addEventListener() {},
        removeEventListener() {},
        dispatchEvent() {
          throw new Error("transport down");
        },
      },
      onError: (_message, error) => errors.push(error),
    });
    expect(() => bus.publish([engineEvent(A, 1)])).not.toThrow();
    expect(errors).toHaveLength(2);
    await bus.close();
  });
});
