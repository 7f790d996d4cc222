// Wakes a reader (the live list feed) whenever events of a tenant are published, in this process
// or (with Redis) any other. Events are only a signal here: what changed is read from the
// database, so bursts collapse into one call and an overflow simply resubscribes.
import { type EventBus, SubscriptionOverflowError, tenantTopic } from "./event-bus.ts";

/** Calls `notify` after each burst of the tenant's events; returns a function that stops watching. */
export function watchTenant(bus: EventBus, tenantId: string, notify: () => void): () => void {
  let stopped = false;
  let subscription = bus.subscribe(tenantTopic(tenantId));
  void (async () => {
    while (!stopped) {
      try {
        const event = await subscription.next();
        if (event.done) return;
        subscription.drain();
        notify();
      } catch (error) {
        if (!(error instanceof SubscriptionOverflowError) || stopped) return;
        subscription = bus.subscribe(tenantTopic(tenantId));
        notify();
      }
    }
  })();
  return () => {
    stopped = true;
    void subscription.return();
  };
}
