// Jobs name their tenant and the worker runs them scoped to it; a job queued before payloads
// carried the tenant (an upgrade with work in flight) still runs, in its execution's tenant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { decodeIdOf } from "../../src/schema/global-id.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { silentLogger } from "../support/logs.ts";

let api: TestApp;
let worker: App | undefined;

beforeAll(async () => {
  // The API process queues jobs; the worker starts only once the queue holds what the test wants.
  api = await startTestApp({ RUN_WORKER: "false" });
});
afterAll(async () => {
  await worker?.stop();
  await api.stop();
});

describe("run-execution jobs", () => {
  it("carry the execution's tenant, and a job without one still runs in the execution's tenant", async () => {
    const workflowId = await createWorkflow(api, { steps: [{ id: "a", type: "transform", config: { output: 42 } }] });
    const withTenant = await startRunId(api, workflowId);
    const legacy = await startRunId(api, workflowId);
    const tenantId = (await api.app.db.execution.findUniqueOrThrow({ where: { id: decodeIdOf("Execution", withTenant) } })).tenantId;
    const payloads = await api.app.db.$queryRaw<{ payload: { executionId: string; tenantId?: string } }[]>`
      SELECT payload FROM graphile_worker._private_jobs ORDER BY id`;
    expect(payloads.map((p) => p.payload.tenantId)).toEqual([tenantId, tenantId]);
    await api.app.db.$executeRaw`
      UPDATE graphile_worker._private_jobs SET payload = (payload::jsonb - 'tenantId')::json
      WHERE payload->>'executionId' = ${decodeIdOf("Execution", legacy)}`;

    worker = await createApp(loadConfig({ NODE_ENV: "test", DATABASE_URL: api.database.url }), { log: silentLogger() });
    for (const id of [withTenant, legacy]) {
      expect((await waitForRun(api, id)).status).toBe("COMPLETED");
    }
  });
});
