// Delivery groups: who leads, who parks, what a parked member gets, and every way back to its own
// stream (a socket behind, the leader gone, an error, the end), with nothing kept afterwards.
import type { ExecutionResult } from "graphql";
import { describe, expect, it } from "vitest";
import { createDeliveryGroups, deliveryGroupStats, type Member, type Wake } from "../../../src/realtime/delivery-groups.ts";
import type { Parking } from "../../../src/realtime/streams.ts";

type FakeParking = Parking & { parked: boolean; end(): void; resumedFrom: number[] };

function parkingAt(position: number, { ended = false } = {}): FakeParking {
  let onEnd: (() => void) | undefined;
  let at = position;
  const fake: FakeParking = {
    parked: false,
    resumedFrom: [],
    position: () => at,
    park(callback) {
      if (ended) return false;
      onEnd = callback;
      fake.parked = true;
      return true;
    },
    resume(after) {
      fake.parked = false;
      fake.resumedFrom.push(after);
      at = Math.max(at, after);
    },
    end() {
      ended = true;
      onEnd?.();
    },
  };
  return fake;
}

type FakeMember = Member & { sent: unknown[]; behind: Promise<void> | undefined };

function member(): FakeMember {
  const m: FakeMember = {
    sent: [],
    behind: undefined,
    send: (result) => {
      m.sent.push(result.data);
      return m.behind;
    },
  };
  return m;
}

const result = (n: number): ExecutionResult => ({ data: { n } });

/** A group of `op` whose leader delivered "c1" at position 1, and `n` members parked behind it. */
function groupOf(n: number) {
  const groups = createDeliveryGroups();
  const leader = member();
  expect(groups.caughtUp("op", leader, "c1", parkingAt(1))).toBeUndefined();
  const parked = Array.from({ length: n }, () => {
    const m = member();
    const parking = parkingAt(1);
    const wake = groups.caughtUp("op", m, "c1", parking) as Promise<Wake>;
    expect(wake).toBeInstanceOf(Promise);
    expect(parking.parked).toBe(true);
    return { m, parking, wake };
  });
  return { groups, leader, parked };
}

describe("delivery groups", () => {
  it("lets the first caught-up member lead and parks the others, who get each result it sends at once", () => {
    const framesBefore = deliveryGroupStats.frames;
    const { groups, leader, parked } = groupOf(3);
    expect(deliveryGroupStats.parked).toBe(3);
    groups.sending(leader, "c2", 2, result(2));
    groups.sending(leader, "c3", 3, result(3));
    for (const { m } of parked) expect(m.sent).toEqual([{ n: 2 }, { n: 3 }]);
    expect(deliveryGroupStats.frames - framesBefore).toBe(6);
    // The leader sends its own results itself.
    expect(leader.sent).toEqual([]);
    for (const { m } of parked) groups.leave(m);
    groups.leave(leader);
    expect(groups.size).toBe(0);
    expect(deliveryGroupStats.parked).toBe(0);
  });

  it("never parks a member that is behind or ahead of the leader, or of another operation", () => {
    const { groups, leader, parked } = groupOf(1);
    const behind = parkingAt(0);
    expect(groups.caughtUp("op", member(), "c0", behind)).toBeUndefined();
    expect(behind.parked).toBe(false);
    // Another operation gets a group of its own, led by this member.
    const other = member();
    expect(groups.caughtUp("other", other, "c1", parkingAt(1))).toBeUndefined();
    expect(groups.size).toBe(2);
    // What the other group's leader sends reaches none of this group's members.
    groups.sending(other, "c2", 2, result(2));
    expect(parked.map(({ m }) => m.sent)).toEqual([[]]);
    for (const { m } of parked) groups.leave(m);
    groups.leave(leader);
    groups.leave(other);
    expect(groups.size).toBe(0);
  });

  it("sends a parked member whose socket is behind back to its own stream, from the result that made it wait", async () => {
    const { groups, leader, parked } = groupOf(2);
    const [slow, fast] = parked as [(typeof parked)[0], (typeof parked)[0]];
    let written = () => {};
    slow.m.behind = new Promise<void>((resolve) => (written = resolve));
    groups.sending(leader, "c2", 2, result(2));
    const wake = await slow.wake;
    expect(wake).toMatchObject({ kind: "resume", after: 2 });
    expect(wake.kind === "resume" && wake.wait).toBe(slow.m.behind);
    written();
    // It is out of the group: the next result is the fast one's only.
    groups.sending(leader, "c3", 3, result(3));
    expect(slow.m.sent).toEqual([{ n: 2 }]);
    expect(fast.m.sent).toEqual([{ n: 2 }, { n: 3 }]);
    expect(deliveryGroupStats.parked).toBe(1);
    groups.leave(fast.m);
    groups.leave(leader);
    expect(groups.size).toBe(0);
  });

  it("hands the lead to a parked member, from the group's position, when the leader leaves or its socket is behind", async () => {
    const { groups, leader, parked } = groupOf(2);
    const [first, second] = parked as [(typeof parked)[0], (typeof parked)[0]];
    groups.sending(leader, "c2", 2, result(2));
    groups.slow(leader);
    expect(await first.wake).toEqual({ kind: "lead", after: 2 });
    // The new leader reads on, and what it sends reaches the member still parked.
    groups.sending(first.m, "c3", 3, result(3));
    expect(second.m.sent).toEqual([{ n: 2 }, { n: 3 }]);
    // The old leader, written at last, is caught up again: it parks behind the new one.
    expect(groups.caughtUp("op", leader, "c3", parkingAt(3))).toBeInstanceOf(Promise);
    groups.leave(first.m);
    expect(await second.wake).toEqual({ kind: "lead", after: 3 });
    groups.leave(second.m);
    groups.leave(leader);
    expect(groups.size).toBe(0);
    expect(deliveryGroupStats.parked).toBe(0);
  });

  it("sends every parked member back to its own stream when the leader fails, and completes them when it completes", async () => {
    const failing = groupOf(2);
    failing.groups.sending(failing.leader, "c2", 2, result(2));
    failing.groups.failed(failing.leader);
    for (const { wake } of failing.parked) expect(await wake).toEqual({ kind: "resume", after: 2 });
    expect(failing.groups.size).toBe(0);

    const completing = groupOf(2);
    completing.groups.completed(completing.leader);
    for (const { wake } of completing.parked) expect(await wake).toEqual({ kind: "complete" });
    expect(completing.groups.size).toBe(0);
    expect(deliveryGroupStats.parked).toBe(0);
  });

  it("wakes a parked member that leaves with 'left', and one whose own stream ended to read on", async () => {
    const { groups, leader, parked } = groupOf(2);
    const [leaving, ending] = parked as [(typeof parked)[0], (typeof parked)[0]];
    groups.leave(leaving.m);
    expect(await leaving.wake).toEqual({ kind: "left" });
    ending.parking.end();
    expect(await ending.wake).toEqual({ kind: "resume", after: 1 });
    groups.sending(leader, "c2", 2, result(2));
    expect([leaving.m.sent, ending.m.sent]).toEqual([[], []]);
    groups.leave(leader);
    expect(groups.size).toBe(0);
    // A stream that had ended already does not park: it is told to read on (and finds it is over).
    const late = createDeliveryGroups();
    late.caughtUp("op", member(), "c1", parkingAt(1));
    expect(await late.caughtUp("op", member(), "c1", parkingAt(1, { ended: true }))).toEqual({ kind: "resume", after: 1 });
    expect(deliveryGroupStats.parked).toBe(0);
  });
});
