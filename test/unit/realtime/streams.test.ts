import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.ts";
import { createEventBus, executionTopic, SubscriptionOverflowError } from "../../../src/realtime/event-bus.ts";
import { emptyStream, isTerminalEvent, replayThenLive, transformEvents } from "../../../src/realtime/streams.ts";
import { countingTransport, engineEvent, fakeLog, waitFor } from "./fake-events.ts";

const A = "aaaaaaaa-0000-4000-8000-000000000000";
const topic = executionTopic(A);

function setup(options: { maxBufferPerSubscriber?: number } = {}) {
  const transport = countingTransport();
  const bus = createEventBus({ transport, ...options });
  const log = fakeLog(bus, A);
  const replay = (after = 0, pageSize = 3, { fromEvent = false } = {}) =>
    replayThenLive<EngineEvent>({
      subscribe: () => bus.subscribe(topic),
      after,
      pageSize,
      load: log.load,
      sequenceOf: (row) => row.sequence,
      isLast: (row) => isTerminalEvent(row.type),
      // The next event in order taken from its notification, as the app's feeds do.
      ...(fromEvent ? { fromEvent: (event: EngineEvent) => event } : {}),
    });
  return { transport, bus, log, replay };
}

async function collect(stream: AsyncIterableIterator<EngineEvent>, onEach?: (row: EngineEvent) => void) {
  const sequences: number[] = [];
  for await (const row of stream) {
    sequences.push(row.sequence);
    onEach?.(row);
  }
  return sequences;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("replayThenLive", () => {
  it("replays the persisted log page by page, then follows live events, ending after the terminal one", async () => {
    const { log, replay, transport } = setup();
    for (let i = 0; i < 7; i++) log.append();
    const stream = replay();
    const done = collect(stream);
    await waitFor(() => log.reads >= 3);
    log.append();
    log.append("EXECUTION_COMPLETED");
    expect(await done).toEqual(range(1, 9));
    expect(transport.listeners()).toBe(0);
  });

  it("delivers events committed during the replay exactly once", async () => {
    const { log, replay } = setup();
    for (let i = 0; i < 10; i++) log.append();
    // Every delivered row appends (and publishes) another event while the replay is still paging.
    const sequences = await collect(replay(0, 4), () => {
      if (log.rows.length < 30) log.append(log.rows.length === 29 ? "EXECUTION_FAILED" : "STEP_STARTED");
    });
    expect(sequences).toEqual(range(1, 30));
  });

  it("fills a gap from the log when a live event skips sequences", async () => {
    const { log, replay } = setup();
    log.append();
    const stream = replay();
    expect((await stream.next()).value?.sequence).toBe(1);
    // 2 and 3 were committed but their publication never arrived (e.g. another process).
    log.append("STEP_STARTED", { publish: false });
    log.append("STEP_STARTED", { publish: false });
    log.append("EXECUTION_COMPLETED");
    expect(await collect(stream)).toEqual([2, 3, 4]);
  });

  it("takes the next event in order from the notification itself, reading only on a gap", async () => {
    const { log, replay, transport } = setup();
    log.append();
    const stream = replay(0, 500, { fromEvent: true });
    expect((await stream.next()).value?.sequence).toBe(1);
    const readsAfterReplay = log.reads;
    log.append();
    log.append();
    expect((await stream.next()).value?.sequence).toBe(2);
    expect((await stream.next()).value?.sequence).toBe(3);
    expect(log.reads).toBe(readsAfterReplay);
    // 4 never arrives live: 5 reveals the gap, and the log fills it.
    log.append("STEP_STARTED", { publish: false });
    log.append("EXECUTION_COMPLETED");
    expect(await collect(stream)).toEqual([4, 5]);
    expect(log.reads).toBe(readsAfterReplay + 1);
    expect(transport.listeners()).toBe(0);
  });

  it("starts after afterSequence and never repeats a row", async () => {
    const { log, replay, bus } = setup();
    for (let i = 0; i < 5; i++) log.append();
    const stream = replay(3);
    expect((await stream.next()).value?.sequence).toBe(4);
    const done = collect(stream);
    // Old publications arriving late (or twice) are ignored.
    bus.publish(log.rows.slice(0, 5));
    log.append();
    bus.publish(log.rows.slice(0, 6));
    log.append("EXECUTION_CANCELLED");
    expect(await done).toEqual([5, 6, 7]);
  });

  it("parks without a listener, and resumes from the position it is given, reading what it did not get", async () => {
    const { log, replay, transport } = setup();
    log.append();
    const stream = replay(0, 500, { fromEvent: true });
    const parking = stream.parking as NonNullable<typeof stream.parking>;
    expect((await stream.next()).value?.sequence).toBe(1);
    // 2 arrives live and waits in the buffer; parking drops it with the listener.
    log.append();
    expect(parking.park(() => {})).toBe(true);
    expect(transport.listeners(topic)).toBe(0);
    // While parked, 2 and 3 reach the client some other way (a delivery group); 4 and 5 do not.
    for (let i = 0; i < 3; i++) log.append();
    parking.resume(3);
    expect(parking.position()).toBe(3);
    expect(transport.listeners(topic)).toBe(1);
    log.append("EXECUTION_COMPLETED");
    expect(await collect(stream)).toEqual([4, 5, 6]);
    expect(transport.listeners()).toBe(0);
  });

  it("resumed from where it parked, delivers what was buffered when it parked", async () => {
    const { log, replay } = setup();
    log.append();
    log.append();
    const stream = replay();
    const parking = stream.parking as NonNullable<typeof stream.parking>;
    // The replay read 1 and 2; 2 waits in the buffer and is dropped when it parks.
    expect((await stream.next()).value?.sequence).toBe(1);
    expect(parking.park(() => {})).toBe(true);
    parking.resume(1);
    log.append("EXECUTION_COMPLETED");
    expect(await collect(stream)).toEqual([2, 3]);
  });

  it("tells a parked stream's owner that it ended, and will not park once ended", async () => {
    const { log, replay, transport } = setup();
    log.append();
    const stream = replay();
    const parking = stream.parking as NonNullable<typeof stream.parking>;
    expect((await stream.next()).value?.sequence).toBe(1);
    let ended = 0;
    expect(parking.park(() => (ended += 1))).toBe(true);
    void stream.return();
    expect(ended).toBe(1);
    expect(parking.park(() => {})).toBe(false);
    // A resume after the end changes nothing: it stays done, with no listener.
    parking.resume(5);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(transport.listeners()).toBe(0);
  });

  it("return() while waiting for live events releases the listener at once", async () => {
    const { log, replay, transport, bus } = setup();
    log.append();
    const stream = replay();
    expect((await stream.next()).value?.sequence).toBe(1);
    const pending = stream.next();
    await waitFor(() => log.reads >= 1);
    expect(transport.listeners(topic)).toBe(1);
    void stream.return();
    expect(transport.listeners(topic)).toBe(0);
    expect(bus.listenerCount()).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it("return() during a database read releases the listener at once", async () => {
    const { log, replay, transport } = setup();
    log.append();
    const stream = replay();
    const pending = stream.next(); // reading
    void stream.return();
    expect(transport.listeners(topic)).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it("recovers from an overflowing live subscription by reading the log", async () => {
    const { log, replay, bus } = setup({ maxBufferPerSubscriber: 2 });
    log.append();
    const stream = replay();
    expect((await stream.next()).value?.sequence).toBe(1);
    // A burst larger than the buffer while the consumer is busy elsewhere.
    const burst: EngineEvent[] = [];
    for (let i = 0; i < 5; i++) burst.push(log.append("STEP_STARTED", { publish: false }));
    bus.publish(burst);
    const rest = collect(stream);
    await waitFor(() => bus.listenerCount(topic) === 1);
    log.append("EXECUTION_COMPLETED");
    expect(await rest).toEqual([2, 3, 4, 5, 6, 7]);
    expect(bus.listenerCount()).toBe(0);
  });

  it("reads what overflowed at once, even when no event follows (the final one was dropped)", async () => {
    const { log, replay, bus } = setup({ maxBufferPerSubscriber: 2 });
    log.append();
    const stream = replay();
    expect((await stream.next()).value?.sequence).toBe(1);
    const burst: EngineEvent[] = [];
    for (let i = 0; i < 4; i++) burst.push(log.append("STEP_STARTED", { publish: false }));
    burst.push(log.append("EXECUTION_COMPLETED", { publish: false }));
    bus.publish(burst);
    // Nothing is published after the burst: the stream must not wait for a live event.
    expect(await collect(stream)).toEqual([2, 3, 4, 5, 6]);
    expect(bus.listenerCount()).toBe(0);
  });

  it("passes a failing read on and releases the listener", async () => {
    const transport = countingTransport();
    const bus = createEventBus({ transport });
    const stream = replayThenLive<EngineEvent>({
      subscribe: () => bus.subscribe(topic),
      after: 0,
      load: () => Promise.reject(new Error("database down")),
      sequenceOf: (row) => row.sequence,
      isLast: () => false,
    });
    await expect(stream.next()).rejects.toThrow("database down");
    expect(transport.listeners()).toBe(0);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});

describe("transformEvents", () => {
  it("maps and filters, and ends after an outcome marked last", async () => {
    const bus = createEventBus();
    const stream = transformEvents<number>(bus.subscribe(topic), (event) =>
      event.type === "STEP_COMPLETED" ? { value: event.sequence } : { skip: true, last: isTerminalEvent(event.type) },
    );
    bus.publish([
      engineEvent(A, 1, "STEP_STARTED"),
      engineEvent(A, 2, "STEP_COMPLETED"),
      engineEvent(A, 3, "STEP_COMPLETED"),
      engineEvent(A, 4, "EXECUTION_COMPLETED"),
      engineEvent(A, 5, "STEP_COMPLETED"),
    ]);
    const values: number[] = [];
    for await (const value of stream) values.push(value);
    expect(values).toEqual([2, 3]);
    expect(bus.listenerCount()).toBe(0);
  });

  it("return() while waiting releases the listener at once", async () => {
    const transport = countingTransport();
    const bus = createEventBus({ transport });
    const stream = transformEvents(bus.subscribe(topic), (event) => ({ value: event }));
    const pending = stream.next();
    void stream.return();
    expect(transport.listeners()).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it("return() during an async handler drops its result", async () => {
    const bus = createEventBus();
    let release = () => {};
    const stream = transformEvents(bus.subscribe(topic), async (event) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { value: event };
    });
    const pending = stream.next();
    bus.publish([engineEvent(A, 1)]);
    await waitFor(() => bus.listenerCount() === 1);
    void stream.return();
    expect(bus.listenerCount()).toBe(0);
    release();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it("ends with the subscription's overflow error, once", async () => {
    const bus = createEventBus({ maxBufferPerSubscriber: 1 });
    const stream = transformEvents(bus.subscribe(topic), (event) => ({ value: event.sequence }));
    bus.publish([engineEvent(A, 1), engineEvent(A, 2)]);
    expect((await stream.next()).value).toBe(1);
    await expect(stream.next()).rejects.toBeInstanceOf(SubscriptionOverflowError);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});

describe("emptyStream", () => {
  it("is done at once", async () => {
    expect(await emptyStream().next()).toEqual({ value: undefined, done: true });
  });
});
