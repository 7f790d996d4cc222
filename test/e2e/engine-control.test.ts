// Cancelling, retrying, step retries with backoff and long delays that give the worker back.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAction } from "../../src/engine/actions/types.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, expectGapless, startRunId, stepsByKey, waitForRun } from "../support/engine.ts";

const Cancel = graphql(`
  mutation EngineCancel($input: CancelExecutionInput!) {
    cancelExecution(input: $input) {
      __typename
      ... on CancelExecutionSuccess { execution { id status } }
      ... on Error { code message }
    }
  }
`);

const Retry = graphql(`
  mutation EngineRetry($input: RetryExecutionInput!) {
    retryExecution(input: $input) {
      __typename
      ... on RetryExecutionSuccess { execution { id status attempt } }
      ... on Error { code message }
    }
  }
`);

// A custom action type, registered from TypeScript like any application would.
const double = defineAction({
  type: "double",
  input: z.strictObject({ value: z.number() }),
  async run({ value }, ctx) {
    ctx.log("INFO", `doubling ${value}`);
    return { status: "completed", output: value * 2 };
  },
});

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({}, { actions: [double] });
});
afterAll(() => app.stop());

describe("cancelExecution", () => {
  it("aborts a running delay at once, cancels pending steps and records who and why", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "wait", type: "delay", config: { ms: 4500 } },
        { id: "after", type: "log", dependsOn: ["wait"], config: { message: "never" } },
      ],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id, (run) => stepsByKey(run).wait?.status === "RUNNING");
    const asked = Date.now();
    const { cancelExecution } = await app.query(Cancel, { input: { id, reason: "customer changed their mind" } });
    expect(cancelExecution).toMatchObject({ __typename: "CancelExecutionSuccess", execution: { status: "CANCELLED" } });
    const run = await waitForRun(app, id);
    expect(run.status).toBe("CANCELLED");
    expect(stepsByKey(run).wait?.status).toBe("CANCELLED");
    expect(stepsByKey(run).after?.status).toBe("CANCELLED");
    expect(run.error).toMatchObject({ code: "CANCELLED" });
    // The aborted delay never completes afterwards (compare-and-set keeps it CANCELLED).
    expect(Date.now() - asked).toBeLessThan(4000);
    expectGapless(run);
    expect(run.events.edges.at(-1)?.node.type).toBe("EXECUTION_CANCELLED");
  });

  it("refuses to cancel a finished run with a typed InvalidState error", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "log", config: { message: "x" } }] });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    const { cancelExecution } = await app.query(Cancel, { input: { id } });
    expect(cancelExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
  });
});

describe("retries", () => {
  let server: http.Server;
  let url: string;
  let calls = 0;
  beforeAll(async () => {
    // Fails twice with 503, then answers.
    server = http.createServer((_req, res) => {
      calls += 1;
      res.writeHead(calls <= 2 ? 503 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ call: calls }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("retries a retryable step failure under its policy with backoff", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "call", type: "http", retry: { maxAttempts: 3, backoffMs: 20, factor: 2 }, config: { url } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId));
    expect(run.status).toBe("COMPLETED");
    expect(stepsByKey(run).call).toMatchObject({ attempt: 3, output: { status: 200, body: { call: 3 } } });
    expect(run.events.edges.filter((e) => e.node.type === "STEP_RETRYING")).toHaveLength(2);
    expectGapless(run);
  });

  it("retryExecution with fromFailedStep reuses completed batches and reruns the rest", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "first", type: "transform", config: { output: "kept" } },
        { id: "flaky", type: "fail", dependsOn: ["first"], config: { message: "boom" } },
      ],
    });
    const failedId = await startRunId(app, workflowId);
    const failed = await waitForRun(app, failedId);
    expect(failed.status).toBe("FAILED");
    const { retryExecution } = await app.query(Retry, { input: { id: failedId, fromFailedStep: true } });
    if (retryExecution.__typename !== "RetryExecutionSuccess") throw new Error(JSON.stringify(retryExecution));
    expect(retryExecution.execution.attempt).toBe(2);
    const retried = await waitForRun(app, retryExecution.execution.id);
    expect(retried.retryOf?.id).toBe(failedId);
    // "first" was reused, not re-run: it never started in the new execution.
    expect(stepsByKey(retried).first).toMatchObject({ status: "COMPLETED", output: "kept", attempt: 0 });
    expect(stepsByKey(retried).flaky?.status).toBe("FAILED");
    const { retryExecution: again } = await app.query(Retry, { input: { id: retryExecution.execution.id } });
    expect(again).toMatchObject({ __typename: "RetryExecutionSuccess", execution: { attempt: 3 } });
  });

  it("refuses to retry a run that did not fail", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "log", config: { message: "x" } }] });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    const { retryExecution } = await app.query(Retry, { input: { id } });
    expect(retryExecution).toMatchObject({ __typename: "InvalidStateError" });
  });
});

describe("long delays", () => {
  it("give the worker back and continue in a scheduled job", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "nap", type: "delay", config: { ms: 6000 } },
        { id: "after", type: "log", dependsOn: ["nap"], config: { message: "woke" } },
      ],
    });
    const id = await startRunId(app, workflowId);
    // While it sleeps no worker holds the run: its lease is released.
    await waitForRun(app, id, (run) => stepsByKey(run).nap?.status === "RUNNING");
    const sleeping = await waitForUnleased(id);
    expect(sleeping).toBe(true);
    const run = await waitForRun(app, id, undefined, 20_000);
    expect(run.status).toBe("COMPLETED");
    expect(stepsByKey(run).nap?.output).toEqual({ sleptMs: 6000 });
  });
});

async function waitForUnleased(id: string): Promise<boolean> {
  const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const row = await app.app.db.execution.findUnique({ where: { id: uuid }, select: { leaseOwner: true, status: true } });
    if (row?.status === "RUNNING" && row.leaseOwner === null) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

describe("automatic retries", () => {
  it("schedule nextRetryAt by the workflow's policy and run the retry when it is due", async () => {
    const workflowId = await createWorkflow(app, {
      retry: { maxAttempts: 2, backoffMs: 300 },
      steps: [{ id: "boom", type: "fail", config: { message: "always", retryable: true } }],
    });
    const firstId = await startRunId(app, workflowId);
    const first = await waitForRun(app, firstId);
    expect(first.status).toBe("FAILED");
    const uuid = Buffer.from(firstId, "base64url").toString().split(":")[1] as string;
    const scheduled = await app.app.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    expect(scheduled.nextRetryAt?.getTime()).toBe((scheduled.completedAt?.getTime() ?? 0) + 300);

    const retry = await waitForRetry(uuid);
    expect(retry).toMatchObject({ attempt: 2, triggerSource: "RETRY" });
    const retried = await waitForRun(app, Buffer.from(`Execution:${retry.id}`).toString("base64url"));
    expect(retried.status).toBe("FAILED");
    // The policy allows 2 attempts: the retry is the last, and the original's schedule is spent.
    const after = await app.app.db.execution.findMany({ where: { id: { in: [uuid, retry.id] } }, select: { nextRetryAt: true } });
    expect(after.map((r) => r.nextRetryAt)).toEqual([null, null]);
  });

  it("default to retries after 1, 5 and 15 minutes", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "boom", type: "fail", config: { message: "x", retryable: true } }],
    });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
    const row = await app.app.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    expect((row.nextRetryAt?.getTime() ?? 0) - (row.completedAt?.getTime() ?? 0)).toBe(60_000);
  });

  it("never retry a deterministic failure: it would fail the same way again", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "boom", type: "fail", config: { message: "not retryable" } },
        { id: "later", type: "transform", dependsOn: ["boom"], config: { output: 1 } },
      ],
    });
    const id = await startRunId(app, workflowId);
    const run = await waitForRun(app, id);
    expect(run.status).toBe("FAILED");
    const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
    const row = await app.app.db.execution.findUniqueOrThrow({ where: { id: uuid } });
    expect(row.nextRetryAt).toBeNull();
    // The failed critical step fails its batch (with its event); the batch after it is cancelled.
    expect(run.batches.edges.map((e) => e.node.status)).toEqual(["FAILED", "CANCELLED"]);
    const batchEvents = run.events.edges.filter((e) => e.node.type === "BATCH_COMPLETED");
    expect(batchEvents).toHaveLength(1);
  });
});

describe("email without SMTP_URL", () => {
  it("goes to the outbox and says so in the step's output, never dropped", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "mail", type: "email", config: { to: "{{input.to}}", subject: "Welcome", text: "Hi" } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId, { to: "ada@example.com" }));
    expect(run.status).toBe("COMPLETED");
    const output = stepsByKey(run).mail?.output as { delivered: boolean; transport: string; id: string };
    expect(output).toMatchObject({ delivered: false, transport: "outbox" });
    const stored = await app.app.db.emailOutbox.findUniqueOrThrow({ where: { id: output.id } });
    expect(stored).toMatchObject({ to: ["ada@example.com"], subject: "Welcome", text: "Hi", stepKey: "mail" });
  });
});

describe("custom actions", () => {
  it("run like built-in ones, with validated input and logs", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "twice", type: "double", config: { value: "{{input.n}}" } }],
    });
    const run = await waitForRun(app, await startRunId(app, workflowId, { n: 21 }));
    expect(run.status).toBe("COMPLETED");
    expect(stepsByKey(run).twice?.output).toBe(42);
  });
});

async function waitForRetry(originalId: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const retry = await app.app.db.execution.findFirst({ where: { retryOfId: originalId } });
    if (retry) return retry;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no automatic retry appeared");
}
