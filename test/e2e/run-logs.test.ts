// What runs write into their own log: why trigger conditions passed or failed (one line at the
// start), and the built-in actions' INFO lines (here: http's request and response).
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";

type Logs = { execution: { logs: { edges: { node: { level: string; message: string; step: { key: string } | null } }[] } } | null };
const RunLogs = parse(
  "query RunLogs($id: ID!) { execution(id: $id) { logs(first: 100) { edges { node { level message step { key } } } } } }",
) as TypedDocumentNode<Logs, { id: string }>;

let app: TestApp;
let target: http.Server;
let base: string;

beforeAll(async () => {
  target = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
  await new Promise((resolve) => target.close(resolve));
});

async function logsOf(id: string) {
  await waitForRun(app, id);
  const { execution } = await app.query(RunLogs, { id });
  return execution?.logs.edges.map((e) => ({ level: e.node.level, message: e.node.message, step: e.node.step?.key ?? null })) ?? [];
}

describe("run logs", () => {
  it("say at the start why trigger conditions passed or failed", async () => {
    const workflowId = await createWorkflow(app, {
      trigger: { conditions: { logic: "AND", rules: [{ field: "total", operator: ">=", value: 100 }] } },
      steps: [{ id: "noop", type: "transform", config: { output: 1 } }],
    });
    const passed = await logsOf(await startRunId(app, workflowId, { total: 150 }));
    expect(passed).toEqual([
      { level: "INFO", message: "Trigger conditions passed (AND): total greater_than_or_equal 100: passed (was 150)", step: null },
    ]);
    const failed = await logsOf(await startRunId(app, workflowId, { total: 40 }));
    expect(failed).toEqual([
      {
        level: "INFO",
        message: "Trigger conditions did not pass; no step ran (AND): total greater_than_or_equal 100: failed (was 40)",
        step: null,
      },
    ]);
  });

  it("hold the http request and its response status, without the URL's credentials", async () => {
    const workflowId = await createWorkflow(app, {
      steps: [{ id: "call", type: "http", config: { url: `${base}/hook?api_key=s3cret&n=1` } }],
    });
    const logs = await logsOf(await startRunId(app, workflowId));
    expect(logs.map((l) => ({ ...l, message: l.message.replace(/\d+ ms$/, "N ms") }))).toEqual([
      { level: "INFO", message: `GET ${base}/hook?api_key=[redacted]&n=1`, step: "call" },
      { level: "INFO", message: `200 OK from GET ${base}/hook?api_key=[redacted]&n=1 in N ms`, step: "call" },
    ]);
  });
});
