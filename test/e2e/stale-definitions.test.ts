// Saving a workflow now refuses definitions that could only fail, so these can no longer be made
// through the API. Versions stored before the save-time checks existed (or before an action type
// was unregistered) are still run, and the run-time checks still fail their steps as they always
// did. The versions are written straight to the database, as an older release would have left them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startRunId, stepsByKey, waitForRun } from "../support/engine.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

/** A workflow whose only version is `definition`, bypassing createWorkflow; returns its global ID. */
async function storedWorkflow(definition: object): Promise<string> {
  const tenant = await ensureDevTenant(app.app.db);
  const workflow = await app.app.db.workflow.create({
    data: {
      tenantId: tenant.id,
      name: `stored-${randomUUID()}`,
      version: 1,
      versions: { create: { tenantId: tenant.id, version: 1, definition } },
    },
  });
  return encodeGlobalId("Workflow", workflow.id);
}

// No automatic retry: each run ends at its first failure.
const noRetry = { maxAttempts: 1 };

describe("a stored definition that saving would refuse", () => {
  it("fails a step whose type is not registered with UNKNOWN_ACTION", async () => {
    const id = await storedWorkflow({ retry: noRetry, steps: [{ id: "gone", type: "retired-action", config: {} }] });
    const run = await waitForRun(app, await startRunId(app, id));
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).gone).toMatchObject({ status: "FAILED", errorCode: "UNKNOWN_ACTION" });
    expect(stepsByKey(run).gone?.error).toContain('"retired-action"');
  });

  it("fails a step whose config the action rejects with INVALID_INPUT", async () => {
    const id = await storedWorkflow({
      retry: noRetry,
      steps: [{ id: "mail", type: "email", config: { to: "ops@example.com", subjet: "typo" } }],
    });
    const run = await waitForRun(app, await startRunId(app, id));
    expect(run.status).toBe("FAILED");
    expect(stepsByKey(run).mail).toMatchObject({ status: "FAILED", errorCode: "INVALID_INPUT" });
  });

  it("runs a when whose field reads nothing: it is false, so the step is skipped", async () => {
    const id = await storedWorkflow({
      steps: [
        {
          id: "vip",
          type: "log",
          when: { logic: "AND", rules: [{ field: "order.total", operator: ">", value: 10 }] },
          config: { message: "big order" },
        },
      ],
    });
    const run = await waitForRun(app, await startRunId(app, id, { order: { total: 1000 } }));
    expect(run.status).toBe("COMPLETED");
    expect(stepsByKey(run).vip).toMatchObject({ status: "SKIPPED", branchTaken: "else" });
  });
});
