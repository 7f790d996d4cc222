// Delivery groups: subscribers of one operation that are caught up receive each result in one
// synchronous loop. Without them every subscriber takes every event through its own chain of
// promises (bus listener → its stream → the shared resolution → its socket queue): ~20 µs per
// subscriber and event, where a bare `ws` server sending the same frames spends ~4 µs
// (BENCHMARKS.md). 1,000 subscribers of one run then took over a second to get a burst out.
//
// One member of a group, its leader, reads its own stream. Each error-free result it sends, it
// also sends to every parked member: those that had delivered the same event (the same cause) as
// the leader and stopped reading their own streams (Parking). Anything out of the ordinary sends a
// parked member back to its own stream, which reads on from the last event it got, from the
// database: nothing is missed, nothing is sent twice. That is:
// - its socket is behind (a send that must be waited for): it waits, then reads on alone;
// - the leader's result has errors, or its stream fails: every member reads on alone, and gets
//   the error the usual way;
// - the leader leaves, or its own socket is behind: a parked member becomes the leader;
// - its own stream ends (a token expired): it finds that out by reading.
// When the leader's stream completes (the run's last event was sent), every parked member completes.
import type { ExecutionResult } from "graphql";
import type { Parking } from "./streams.ts";

/** Queues a result on a subscriber's socket; a promise when the socket is behind: the next result waits for it. */
export type Send = (result: ExecutionResult) => Promise<void> | undefined;

/** Why a parked member wakes up. */
export type Wake =
  /** Read on alone from `after` (once `wait` settled: the socket wrote what it was sent). */
  | { kind: "resume"; after: number; wait?: Promise<void> }
  /** Read on from `after` and lead: what it sends, the group gets. */
  | { kind: "lead"; after: number }
  /** The leader sent the stream's last value: nothing follows. */
  | { kind: "complete" }
  /** The member itself left (its client stopped the subscription). */
  | { kind: "left" };

export type Member = { readonly send: Send };

/**
 * What this process's delivery groups do (tests wait for members to park, and count what groups
 * sent and how often a parked member went back to its own stream because its socket was behind).
 */
export const deliveryGroupStats = { parked: 0, frames: 0, behind: 0 };

type Group = {
  key: string;
  leader: Member | undefined;
  /** The cause of the last result the leader sent, and its stream's position then. */
  cause: string;
  position: number;
  /** Parked members and how each is woken. */
  parked: Map<Member, (wake: Wake) => void>;
};

export type DeliveryGroups = {
  /**
   * `member` is about to send `result` for `cause` (its stream now at `position`): if it leads,
   * every parked member of its group gets the result now.
   */
  sending(member: Member, cause: string, position: number, result: ExecutionResult): void;
  /**
   * After `member` sent a result for `cause` without waiting: a member caught up with its group's
   * leader parks (the promise says when and why it wakes); with no leader, it becomes one; else
   * (undefined) it reads on alone.
   */
  caughtUp(key: string, member: Member, cause: string, parking: Parking): Promise<Wake> | undefined;
  /** `member`'s socket is behind: if it leads, it stops (it reads on alone once written). */
  slow(member: Member): void;
  /** `member`'s stream failed or its result has errors: if it leads, every member reads on alone. */
  failed(member: Member): void;
  /** `member`'s stream completed: if it leads, its parked members complete. */
  completed(member: Member): void;
  /** `member` leaves: parked, it is woken with "left"; leading, another member leads. */
  leave(member: Member): void;
  /** Groups with a leader or parked members (tests use it to prove nothing is kept). */
  readonly size: number;
};

export function createDeliveryGroups(options: { delivered?: () => void } = {}): DeliveryGroups {
  const groups = new Map<string, Group>();
  const groupOf = new Map<Member, Group>();

  const drop = (group: Group) => {
    if (groups.get(group.key) === group) groups.delete(group.key);
    if (group.leader) groupOf.delete(group.leader);
    group.leader = undefined;
    for (const member of group.parked.keys()) groupOf.delete(member);
    deliveryGroupStats.parked -= group.parked.size;
    group.parked.clear();
  };
  const wakeAll = (group: Group, wake: Wake) => {
    const parked = [...group.parked.values()];
    drop(group);
    for (const notify of parked) notify(wake);
  };
  /** The leader is gone: the first parked member leads, from where the group is. */
  const succeed = (group: Group) => {
    if (group.leader) groupOf.delete(group.leader);
    group.leader = undefined;
    const next = group.parked.entries().next();
    if (next.done) return drop(group);
    const [member, notify] = next.value;
    group.parked.delete(member);
    deliveryGroupStats.parked -= 1;
    group.leader = member;
    notify({ kind: "lead", after: group.position });
  };
  const leading = (member: Member): Group | undefined => {
    const group = groupOf.get(member);
    return group?.leader === member ? group : undefined;
  };

  return {
    sending(member, cause, position, result) {
      const group = leading(member);
      if (!group) return;
      group.cause = cause;
      group.position = position;
      for (const [parked, notify] of group.parked) {
        const wait = parked.send(result);
        deliveryGroupStats.frames += 1;
        options.delivered?.();
        if (wait) {
          group.parked.delete(parked);
          deliveryGroupStats.parked -= 1;
          deliveryGroupStats.behind += 1;
          groupOf.delete(parked);
          notify({ kind: "resume", after: position, wait });
        }
      }
    },
    caughtUp(key, member, cause, parking) {
      if (groupOf.has(member)) return undefined;
      const group = groups.get(key);
      // A group never outlives its leader without a successor (succeed, drop).
      if (!group) {
        const created: Group = { key, leader: member, cause, position: parking.position(), parked: new Map() };
        groups.set(key, created);
        groupOf.set(member, created);
        return undefined;
      }
      if (group.cause !== cause) return undefined;
      return new Promise<Wake>((resolve) => {
        let woken = false;
        const notify = (wake: Wake) => {
          if (woken) return;
          woken = true;
          resolve(wake);
        };
        // Ended while parked: it reads on and finds out (a stream that ended says so).
        const parked = parking.park(() => {
          if (group.parked.get(member) !== notify) return;
          group.parked.delete(member);
          deliveryGroupStats.parked -= 1;
          groupOf.delete(member);
          notify({ kind: "resume", after: group.position });
        });
        if (!parked) return notify({ kind: "resume", after: parking.position() });
        group.parked.set(member, notify);
        deliveryGroupStats.parked += 1;
        groupOf.set(member, group);
      });
    },
    slow(member) {
      const group = leading(member);
      if (group) succeed(group);
    },
    failed(member) {
      const group = leading(member);
      if (group) wakeAll(group, { kind: "resume", after: group.position });
    },
    completed(member) {
      const group = leading(member);
      if (group) wakeAll(group, { kind: "complete" });
    },
    leave(member) {
      const group = groupOf.get(member);
      if (!group) return;
      if (group.leader === member) return succeed(group);
      const notify = group.parked.get(member);
      if (group.parked.delete(member)) deliveryGroupStats.parked -= 1;
      groupOf.delete(member);
      if (group.parked.size === 0 && !group.leader) drop(group);
      notify?.({ kind: "left" });
    },
    get size() {
      return groups.size;
    },
  };
}
