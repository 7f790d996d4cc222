// Scale-out: with REDIS_URL, a subscriber on one server process sees the events of a run that was
// started on, and executed by, another process. Needs Redis (TEST_REDIS_URL, default local).
import { print } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow } from "../support/engine.ts";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const Changed = graphql(`
  subscription TwoProcessesChanged {
    executionsChanged { id status }
  }
`);

const Start = graphql(`
  mutation TwoProcessesStart($input: StartExecutionInput!) {
    startExecution(input: $input) { __typename ... on StartExecutionSuccess { execution { id } } }
  }
`);

describe("two server processes sharing Redis", () => {
  let subscriberSide: TestApp;
  let workerSide: ServerProcess;
  let workerUrl: string;

  beforeAll(async () => {
    // This process serves subscriptions only; the other one takes the mutation and runs the job.
    subscriberSide = await startTestApp({ REDIS_URL: redisUrl, RUN_WORKER: "false" });
    workerSide = startServerProcess({
      NODE_ENV: "test",
      DATABASE_URL: subscriberSide.database.url,
      REDIS_URL: redisUrl,
      PORT: String(await freePort()),
    });
    [, workerUrl] = (await workerSide.waitFor(/ready at (\S+)/)) as unknown as [string, string];
  });
  afterAll(async () => {
    workerSide.child.kill("SIGTERM");
    await workerSide.exited;
    await subscriberSide.stop();
  });

  it("delivers a run's status changes from the other process", { timeout: 60_000 }, async () => {
    const workflowId = await createWorkflow(subscriberSide, {
      // The delay gives the subscriber's Redis SUBSCRIBE time to be in place before the run ends.
      steps: [{ id: "wait", type: "delay", config: { ms: 1500 } }],
    });
    const client = createClient({ url: subscriberSide.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    const seen: { id: string; status: string }[] = [];
    const completed = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: print(Changed) },
        {
          next: (result) => {
            const change = (result.data as { executionsChanged: { id: string; status: string } }).executionsChanged;
            seen.push(change);
            if (change.status === "COMPLETED") resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    try {
      const res = await fetch(workerUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: print(Start), variables: { input: { workflowId } } }),
      });
      const started = (await res.json()) as { data: { startExecution: { execution: { id: string } } } };
      const id = started.data.startExecution.execution.id;
      await completed;
      expect(seen.filter((c) => c.id === id).map((c) => c.status)).toContain("COMPLETED");
    } finally {
      await client.dispose();
    }
  });
});
