// Scale-out: with REDIS_URL, a subscriber on one server process sees the events of a run that was
// started on, and executed by, another process. Needs Redis (TEST_REDIS_URL, default local).
import { print } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow } from "../support/engine.ts";
import { idsOf, listedNow, openListView, wsClient } from "../support/list-view.ts";
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

  it("keeps a list view true with runs executed by the other process, from a cursor read there", { timeout: 60_000 }, async () => {
    const workflowId = await createWorkflow(subscriberSide, {
      steps: [
        { id: "a", type: "delay", config: { ms: 300 } },
        { id: "b", type: "delay", config: { ms: 300 }, dependsOn: ["a"] },
      ],
    });
    const other = remote(workerUrl);
    const start = () =>
      other.query(Start, { input: { workflowId } }).then((r) => {
        if (r.startExecution.__typename !== "StartExecutionSuccess") throw new Error(JSON.stringify(r));
        return r.startExecution.execution.id;
      });
    const ids = await Promise.all([start(), start(), start()]);
    const client = wsClient(subscriberSide);
    const filter = { workflowId, status: ["RUNNING" as const] };
    try {
      // The list and its cursor come from the worker's process, the changes from this one.
      const list = await openListView(other, client, filter);
      ids.push(...(await Promise.all([start(), start()])));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const listed = await listedNow(other, filter);
        const done = ids.every((id) => list.changes.some((c) => c.execution.id === id && c.kind === "LEFT") || !listed.includes(id));
        if (done && JSON.stringify(idsOf(list)) === JSON.stringify(listed) && listed.length === 0) break;
        if (Date.now() > deadline) throw new Error(`view ${JSON.stringify(idsOf(list))} ≠ ${JSON.stringify(listed)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(list.problems).toEqual([]);
      expect(list.errors).toEqual([]);
      // The two runs started after the list entered and left it.
      for (const id of ids.slice(3)) expect(list.changes.filter((c) => c.execution.id === id).map((c) => c.kind)).toContain("ENTERED");
      list.stop();
    } finally {
      await client.dispose();
    }
  });
});

/** Typed requests to the other process. */
function remote(url: string): Requester {
  const request: Requester["request"] = async (document, variables) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return { ...((await res.json()) as object), status: res.status };
  };
  return {
    request,
    async query(document, variables) {
      const result = await request(document, variables);
      if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
  };
}
