// Payloads that multiply through templates fail their step with a typed error at once, instead of
// building strings of hundreds of megabytes (the probe: three transforms each repeating the previous
// output 16×, input 250 KB — it used to throw RangeError in template resolution and leave the run
// RUNNING for days while the queue retried it). And the run-level retry policy leaves such
// deterministic failures alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, expectGapless, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const times16 = (ref: string) => `{{${ref}}}`.repeat(16);

describe("payload limits (ENGINE_MAX_PAYLOAD_BYTES, 1 MiB by default)", () => {
  it("fail a step whose templates multiply its input past the limit with INPUT_TOO_LARGE", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "a", type: "transform", config: { output: times16("input.blob") } },
        { id: "b", type: "transform", dependsOn: ["a"], config: { output: times16("steps.a.output") } },
        { id: "c", type: "transform", dependsOn: ["b"], config: { output: times16("steps.b.output") } },
      ],
    });
    const memoryBefore = process.memoryUsage().rss;
    const id = await startRunId(app, workflowId, { blob: "x".repeat(250 * 1024) });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("FAILED");
    const steps = stepsByKey(run);
    // 16 × 250 KB is 4 MB: the first transform already passes 1 MiB.
    expect(steps.a).toMatchObject({ status: "FAILED", errorCode: "INPUT_TOO_LARGE" });
    expect(steps.b?.status).toBe("CANCELLED");
    expect(steps.a?.error).toMatch(/ENGINE_MAX_PAYLOAD_BYTES/);
    expect(run.error).toMatchObject({ code: "STEP_FAILED" });
    expectGapless(run);
    // Resolution stopped at the limit: nothing near the 64 MB the whole chain would take was built.
    expect(process.memoryUsage().rss - memoryBefore).toBeLessThan(200 * 1024 * 1024);
    const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
    const row = await app.app.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    expect(row.nextRetryAt).toBeNull();
  });

  it("fail a step whose output passes the limit with OUTPUT_TOO_LARGE, the output not stored", async () => {
    const big = defineBig();
    const limited = await startTestApp({ ENGINE_MAX_PAYLOAD_BYTES: "2048" }, { actions: [big] });
    try {
      const workflowId = await createWorkflow(limited, { steps: [{ id: "big", type: "test.big", config: {} }] });
      const run = await waitForRun(limited, await startRunId(limited, workflowId));
      expect(run.status).toBe("FAILED");
      expect(stepsByKey(run).big).toMatchObject({ status: "FAILED", errorCode: "OUTPUT_TOO_LARGE", output: null });
    } finally {
      await limited.stop();
    }
  });
});

function defineBig() {
  return {
    type: "test.big",
    pure: true,
    input: z.strictObject({}),
    async run() {
      return { status: "completed" as const, output: { text: "y".repeat(10_000) } };
    },
  };
}
