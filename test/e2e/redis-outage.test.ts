// Redis goes away for a few seconds under a server that carries its events and rate limits
// through it: runs go on (events are in the database; subscribers catch up from there), the log
// gets one line per outage and one per recovery, and events cross Redis again afterwards.
// Before: about 190 error entries, each with its error object, for 10 s without Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_TENANT_SLUG } from "../../src/db/tenants.ts";
import { tenantTopic } from "../../src/realtime/event-bus.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { lineText, recordingLogger } from "../support/logs.ts";

const redis = new URL(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");

describe("a server whose Redis goes away for 5 s", () => {
  let proxy: TcpProxy;
  let app: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
    const { log } = recordingLogger("info", (line) => {
      // Warnings (the dev-mode banner) are not this test's business.
      if (line.msg !== "request" && line.level !== 40) lines.push(lineText(line));
    });
    app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, { log });
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.stop();
  });

  it("runs on, logs the outage once per connection group, and delivers again afterwards", { timeout: 40_000 }, async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "say", type: "log", config: { message: "hi" } }] });
    proxy.cut();
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      const run = await waitForRun(app, await startRunId(app, workflowId));
      expect(run.status).toBe("COMPLETED");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    proxy.restore();
    const recovered = () => lines.filter((l) => l.startsWith("Redis reachable again")).length === 2;
    for (const deadline = Date.now() + 10_000; !recovered() && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Redis unreachable \(events\): /),
        expect.stringMatching(/^Redis unreachable \(rate limits\): /),
        expect.stringMatching(/^Redis reachable again after \d+\.\d s \(events\)$/),
        expect.stringMatching(/^Redis reachable again after \d+\.\d s \(rate limits\)$/),
      ]),
    );

    const tenant = await app.database.db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT_SLUG } });
    const events = app.app.events.subscribe(tenantTopic(tenant.id));
    try {
      // The SUBSCRIBE travels on its own connection: runs until one's events come through.
      const first = events.next();
      let arrived = false;
      void first.then(() => (arrived = true));
      for (const deadline = Date.now() + 10_000; !arrived && Date.now() < deadline; ) {
        await startRunId(app, workflowId);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await first).done).toBe(false);
    } finally {
      await events.return();
    }
  });
});
