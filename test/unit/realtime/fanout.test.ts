// The fan-out's two kinds of sharing, the bus's rechecks, and the streams that use them: a stream
// that missed a notification reads again on a recheck, and subscribers woken together share it.
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/engine/events.ts";
import { createEventBus, executionTopic, isRecheck } from "../../../src/realtime/event-bus.ts";
import { createFanout } from "../../../src/realtime/fanout.ts";
import { isTerminalEvent, replayThenLive, transformEvents } from "../../../src/realtime/streams.ts";
import { engineEvent, fakeLog, waitFor } from "./fake-events.ts";

const A = "aaaaaaaa-0000-4000-8000-000000000000";
const topic = executionTopic(A);

describe("createFanout", () => {
  it("share: one call per key while it is retained, also after it settled", async () => {
    const fanout = createFanout({ retainMs: 60_000 });
    let calls = 0;
    const fn = async () => ++calls;
    expect(await Promise.all([fanout.share("k", fn), fanout.share("k", fn)])).toEqual([1, 1]);
    expect(await fanout.share("k", fn)).toBe(1);
    expect(await fanout.share("other", fn)).toBe(2);
    fanout.close();
    expect(fanout.size).toBe(0);
  });

  it("share: keeps at most maxRetained settled results per generation", async () => {
    const fanout = createFanout({ retainMs: 60_000, maxRetained: 2 });
    let calls = 0;
    const fn = async () => ++calls;
    for (const key of ["a", "b", "c", "d", "e"]) await fanout.share(key, fn);
    // Two generations of at most two: the oldest ("a") was let go, the newest are kept.
    expect(fanout.size).toBeLessThanOrEqual(4);
    expect(await fanout.share("e", fn)).toBe(5);
    expect(await fanout.share("a", fn)).toBe(6);
    fanout.close();
  });

  it("enter: counts the subscribers of an operation until each leaves, once", () => {
    const fanout = createFanout();
    const leaveA = fanout.enter("op");
    const leaveB = fanout.enter("op");
    expect(fanout.subscribers("op")).toBe(2);
    leaveA();
    leaveA();
    expect(fanout.subscribers("op")).toBe(1);
    leaveB();
    expect(fanout.subscribers("op")).toBe(0);
    fanout.close();
  });

  it("share: a failure is not kept", async () => {
    const fanout = createFanout({ retainMs: 60_000 });
    await expect(fanout.share("k", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await fanout.share("k", async () => "up")).toBe("up");
    fanout.close();
  });

  it("join: only a read in flight that started at or after `since`", async () => {
    const fanout = createFanout();
    let calls = 0;
    const fn = async () => {
      const n = ++calls;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return n;
    };
    const before = performance.now();
    const first = fanout.join("k", before, fn);
    const joined = fanout.join("k", before, fn);
    // Notified after the first read started: that read may not see it.
    const later = fanout.join("k", performance.now() + 1, fn);
    expect(await Promise.all([first, joined, later])).toEqual([1, 1, 2]);
    expect(fanout.size).toBe(0);
    expect(await fanout.join("k", 0, fn)).toBe(3);
    fanout.close();
  });
});

describe("rechecks", () => {
  it("go only to subscriptions that take them, after what they buffered", async () => {
    const bus = createEventBus();
    const plain = bus.subscribe(topic);
    const rechecking = bus.subscribe(topic, { rechecks: true });
    bus.publish([engineEvent(A, 1)]);
    bus.recheck();
    bus.recheck(executionTopic("elsewhere"));
    expect((await rechecking.next()).value).toMatchObject({ sequence: 1 });
    expect(isRecheck((await rechecking.next()).value as never)).toBe(true);
    bus.publish([engineEvent(A, 2)]);
    expect((await plain.next()).value).toMatchObject({ sequence: 1 });
    expect((await plain.next()).value).toMatchObject({ sequence: 2 });
    await bus.close();
  });

  it("come to a quiet topic every idle interval", async () => {
    const bus = createEventBus({ idleRecheckMs: 20 });
    const subscription = bus.subscribe(topic, { rechecks: true });
    expect(isRecheck((await subscription.next()).value as never)).toBe(true);
    await bus.close();
  });

  it("make a stream that missed the terminal event read it, once for all its subscribers at one position", async () => {
    const bus = createEventBus();
    const fanout = createFanout();
    const log = fakeLog(bus, A);
    log.append();
    const streams = Array.from({ length: 5 }, () =>
      replayThenLive<EngineEvent>({
        subscribe: () => bus.subscribe(topic, { rechecks: true }),
        after: 0,
        load: (after, limit, since) => fanout.join(`${after}|${limit}`, since, () => log.load(after, limit)),
        sequenceOf: (row) => row.sequence,
        isLast: (row) => isTerminalEvent(row.type),
        fromEvent: (event) => event,
      }),
    );
    const received = streams.map(() => [] as number[]);
    const done = streams.map(async (stream, i) => {
      for await (const row of stream) received[i]?.push(row.sequence);
    });
    await waitFor(() => received.every((r) => r.length === 1));
    // Lost notifications (Redis was away): the log has them, the streams do not know.
    log.append("STEP_COMPLETED", { publish: false });
    log.append("EXECUTION_COMPLETED", { publish: false });
    const reads = log.reads;
    bus.recheck();
    await Promise.all(done);
    expect(received).toEqual(streams.map(() => [1, 2, 3]));
    expect(log.reads - reads).toBe(1);
    expect(bus.listenerCount()).toBe(0);
    await bus.close();
    fanout.close();
  });
});

describe("causes", () => {
  it("name the last event a value stands for, drained ones included", async () => {
    const bus = createEventBus();
    const stream = transformEvents(bus.subscribe(topic), (event, source) => {
      const all = [event, ...source.drain()];
      return { value: all.length };
    });
    bus.publish([engineEvent(A, 1), engineEvent(A, 2), engineEvent(A, 3)]);
    expect((await stream.next()).value).toBe(3);
    expect(stream.cause?.()).toBe(`${topic}#${A}:3`);
    await stream.return();
    await bus.close();
  });
});
