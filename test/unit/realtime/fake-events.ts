// Test helpers for the realtime unit tests: events, a transport that counts its listeners, and an
// in-memory event log that, like the engine, persists before it publishes.
import type { ExecutionEventType } from "@prisma/client";
import type { EngineEvent } from "../../../src/engine/events.ts";
import type { EventBus, Transport } from "../../../src/realtime/event-bus.ts";

export const TENANT = "00000000-0000-4000-8000-000000000001";

export function engineEvent(
  executionId: string,
  sequence: number,
  type: ExecutionEventType = "STEP_STARTED",
  tenantId = TENANT,
): EngineEvent {
  return {
    id: `${executionId}-${sequence}`,
    tenantId,
    executionId,
    sequence,
    type,
    executionStatus: "RUNNING",
    stepId: null,
    batchId: null,
    at: new Date(1_790_000_000_000 + sequence),
    data: null,
  };
}

/** An EventTarget that counts the listeners registered on it, per topic. */
export function countingTransport(): Transport & { listeners(topic?: string): number } {
  const target = new EventTarget();
  const counts = new Map<string, number>();
  return {
    addEventListener(type, listener, options) {
      counts.set(type, (counts.get(type) ?? 0) + 1);
      target.addEventListener(type, listener, options);
    },
    removeEventListener(type, listener, options) {
      counts.set(type, (counts.get(type) ?? 0) - 1);
      target.removeEventListener(type, listener, options);
    },
    dispatchEvent: (event) => target.dispatchEvent(event),
    listeners: (topic) =>
      topic === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(topic) ?? 0),
  };
}

/** One execution's persisted log; append() writes the row, then publishes it (as the engine does). */
export function fakeLog(bus: EventBus, executionId: string) {
  const rows: EngineEvent[] = [];
  let reads = 0;
  return {
    rows,
    get reads() {
      return reads;
    },
    append(type: ExecutionEventType = "STEP_STARTED", { publish = true } = {}): EngineEvent {
      const event = engineEvent(executionId, rows.length + 1, type);
      rows.push(event);
      if (publish) bus.publish([event]);
      return event;
    },
    async load(after: number, limit: number): Promise<EngineEvent[]> {
      reads++;
      await Promise.resolve();
      return rows.filter((r) => r.sequence > after).slice(0, limit);
    },
  };
}

/** Waits until `condition` holds (polling each macrotask), failing after `ms`. */
export async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
