import { describe, expect, it } from "vitest";
import { createEventBus } from "../../../src/realtime/event-bus.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { metric, parseMetrics } from "../../support/metrics.ts";

const scrape = async (metrics: ReturnType<typeof createMetrics>) => parseMetrics((await metrics.scrape()).body);

describe("metrics", () => {
  it("counts step outcomes by type, worker losses apart", async () => {
    const metrics = createMetrics();
    metrics.engine.step("http", "completed");
    metrics.engine.step("http", "completed");
    metrics.engine.step("http", "worker_lost");
    metrics.engine.step("email", "retrying");
    const samples = await scrape(metrics);
    expect(metric(samples, "stepstream_steps_total", { type: "http", outcome: "completed" })).toBe(2);
    expect(metric(samples, "stepstream_steps_total", { type: "email", outcome: "retrying" })).toBe(1);
    expect(metric(samples, "stepstream_worker_losses_total", { type: "http" })).toBe(1);
    // A second scrape reports the same totals (counters are rebuilt from the counts, not added twice).
    expect(metric(await scrape(metrics), "stepstream_steps_total", { type: "http", outcome: "completed" })).toBe(2);
  });

  it("keeps client-chosen operation names from growing the series without bound", async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 250; i += 1) metrics.request({ operation: `Op${i}`, type: "query", status: 200, durationMs: 1 });
    const samples = await scrape(metrics);
    expect(metric(samples, "stepstream_graphql_request_duration_seconds_count", { operation: "Op0" })).toBe(1);
    expect(metric(samples, "stepstream_graphql_request_duration_seconds_count", { operation: "Op249" })).toBe(0);
    expect(metric(samples, "stepstream_graphql_request_duration_seconds_count", { operation: "other" })).toBe(50);
  });

  it("counts overflows the event bus reports, by topic kind", async () => {
    const metrics = createMetrics();
    const bus = createEventBus({ maxBufferPerSubscriber: 2, onOverflow: metrics.overflowed });
    const subscription = bus.subscribe("tenant:t1");
    const event = (sequence: number) => ({
      id: `e${sequence}`,
      tenantId: "t1",
      executionId: "x1",
      sequence,
      type: "EXECUTION_STARTED" as const,
      executionStatus: "RUNNING" as const,
      stepId: null,
      batchId: null,
      at: new Date(),
      data: null,
    });
    bus.publish([event(1), event(2), event(3)]);
    await expect(async () => {
      for (;;) await subscription.next();
    }).rejects.toThrow(/fell more than 2 events behind/);
    expect(metric(await scrape(metrics), "stepstream_subscription_overflows_total", { topic: "tenant" })).toBe(1);
    await bus.close();
  });
});
