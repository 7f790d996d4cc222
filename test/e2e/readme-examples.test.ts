// The README's examples, run against a started app: every GraphQL operation executes without
// errors (subscriptions deliver), every curl command gets a 2xx from the route it names, and the
// custom action of the ```ts block runs. (test/unit/readme-examples.test.ts checks the rest.)
import { rmSync, writeFileSync } from "node:fs";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type DocumentNode, Kind, type OperationDefinitionNode, parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createActionRegistry } from "../../src/engine/actions/registry.ts";
import type { ActionHandler } from "../../src/engine/actions/types.ts";
import { invokeAction } from "../../src/engine/actions/invoke.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { blocks, curlRequest, shellCommands } from "../support/readme.ts";
import { subscribeOverWs, waitUntil } from "../support/ws-subscriber.ts";

const METRICS_TOKEN = "readme-metrics-token-0123456789";

let app: TestApp;
let origin: string;
let workflowId: string;
/** What the README's `$VARIABLES` and GraphQL variables stand for here. */
const values: Record<string, string> = {};

type Result = { data?: Record<string, unknown> | null; errors?: unknown[] };

async function graphql(query: string, operationName: string | undefined, variables: Record<string, unknown> = {}) {
  const res = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, operationName, variables }),
  });
  return { status: res.status, ...((await res.json()) as Result) };
}

beforeAll(async () => {
  app = await startTestApp({ METRICS_TOKEN });
  origin = new URL(app.url).origin;
  // A run to read (a delay keeps later ones RUNNING long enough for the live-list example).
  workflowId = await createWorkflow(app, { steps: [{ id: "wait", type: "delay", config: { ms: 300 } }] });
  values.workflowId = workflowId;
  // A failed run to retry, and a template to start from.
  const failing = await createWorkflow(app, { steps: [{ id: "boom", type: "fail", config: { message: "boom" } }] });
  values.failedRunId = await startRunId(app, failing);
  await waitForRun(app, values.failedRunId);
  const templates = await graphql("{ workflowTemplates(first: 1) { edges { node { id } } } }", undefined);
  values.templateId = (templates.data?.workflowTemplates as { edges: { node: { id: string } }[] }).edges[0]?.node.id as string;
  values.id = values.EXECUTION_ID = await startRunId(app, workflowId);
  await waitForRun(app, values.id);
  const key = await graphql('mutation { createApiKey(input: { name: "readme", role: ADMIN }) { ... on CreateApiKeySuccess { created { secret } } } }', undefined);
  values.KEY = (key.data?.createApiKey as { created: { secret: string } }).created.secret;
  values.METRICS_TOKEN = METRICS_TOKEN;
});
afterAll(async () => {
  await app?.stop();
});

const operations = blocks
  .filter((b) => b.lang === "graphql")
  .flatMap((block) =>
    parse(block.text)
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((op) => [`${op.operation} ${op.name?.value ?? "(anonymous)"} of ${block.name}`, block.text, op] as const),
  );

const variablesOf = (op: OperationDefinitionNode) =>
  Object.fromEntries((op.variableDefinitions ?? []).map((v) => [v.variable.name.value, values[v.variable.name.value] ?? null]));

describe("README GraphQL examples", () => {
  it("found the operations", () => {
    expect(operations.length).toBeGreaterThanOrEqual(6);
  });

  it.each(operations.filter(([, , op]) => op.operation !== "subscription"))("%s executes without errors", async (_name, text, op) => {
    const result = await graphql(text, op.name?.value, variablesOf(op));
    expect(result.errors ?? []).toEqual([]);
    expect(result.status).toBe(200);
    // A mutation's payload is its result (a …Success, or e.g. a BulkOperationPreview), not a typed error.
    for (const payload of Object.values(result.data ?? {})) {
      const typename = (payload as { __typename?: string } | null)?.__typename;
      if (typename) expect(typename).not.toMatch(/Error$/);
    }
    if (op.name?.value === "RunningTab") values.after = (result.data?.executions as { changesCursor: string }).changesCursor;
    if (op.name?.value === "CancelStuckRuns") {
      // The README's is a dry run; the progress example needs an operation that exists.
      const started = await graphql(
        "mutation ($id: ID!) { startBulkOperation(input: { kind: CANCEL, filter: { workflowId: $id } }) { ... on BulkOperation { id } } }",
        undefined,
        { id: workflowId },
      );
      values.bulkOperationId = (started.data?.startBulkOperation as { id: string }).id;
    }
  });

  it.each(operations.filter(([, , op]) => op.operation === "subscription"))("%s delivers", async (_name, _text, op) => {
    const document = { kind: Kind.DOCUMENT, definitions: [op] } as DocumentNode;
    const subscriber = subscribeOverWs(
      app.url,
      document as TypedDocumentNode<unknown, Record<string, unknown>>,
      variablesOf(op) as Record<string, unknown>,
    );
    try {
      // Something for it to see: a new run starts and finishes.
      await waitUntil("the subscription starts", async () => app.app.events.listenerCount() > 0);
      await startRunId(app, workflowId);
      await waitUntil("a payload arrives", () => subscriber.data.length > 0 || subscriber.errors.length > 0);
      expect(subscriber.errors).toEqual([]);
    } finally {
      await subscriber.stop();
    }
  });
});

const curls = blocks
  .filter((b) => b.lang === "sh")
  .flatMap((block) => shellCommands(block).filter((c) => c.program === "curl").map((c) => [c.text, c] as const));

describe("README curl examples", () => {
  it("found them", () => {
    expect(curls.length).toBeGreaterThanOrEqual(2);
  });

  it.each(curls)("%s answers 2xx", async (_text, command) => {
    const fill = (text: string) =>
      text.replace(/\$(\w+)/g, (_, name: string) => {
        if (!(name in values)) throw new Error(`the README uses $${name}, which this test does not fill in`);
        return values[name] as string;
      });
    const request = curlRequest(command);
    const url = new URL(fill(request.url));
    const res = await fetch(`${origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, fill(v)])),
      ...(request.body === undefined ? {} : { body: fill(request.body) }),
    });
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
  });
});

describe("README TypeScript example", () => {
  const examples = blocks.filter((b) => b.lang === "ts" && b.text.includes("defineAction("));
  const clientExamples = blocks.filter((b) => b.lang === "ts" && b.text.includes("createStepstreamClient("));

  it("found the action and the client examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(1);
    expect(clientExamples.length).toBeGreaterThanOrEqual(1);
  });

  it.each(clientExamples.map((b) => [b.name, b] as const))("%s reads a page through the typed client", async (_name, block) => {
    // The reader's server is on localhost:4000 with an API key in `apiKey`; here, the started app.
    const text = `const apiKey: string | null = ${JSON.stringify(values.KEY)};\n${block.text.replaceAll("http://localhost:4000/graphql", app.url)}
export const readmeResult = page;
export const readmeClient = client;\n`;
    const file = new URL(`../../.readme-example-${process.pid}-${block.line}.ts`, import.meta.url);
    writeFileSync(file, text);
    // Browsers have a WebSocket; Node 20 has none of its own.
    const globals = globalThis as { WebSocket?: unknown };
    const own = globals.WebSocket;
    globals.WebSocket = WebSocket;
    try {
      const module = (await import(file.href)) as {
        readmeResult: { error?: unknown; data?: { executions: { edges: unknown[] } } };
        readmeClient: { dispose(): Promise<void> };
      };
      expect(module.readmeResult.error).toBeUndefined();
      expect(module.readmeResult.data?.executions.edges).toBeInstanceOf(Array);
      await module.readmeClient.dispose();
    } finally {
      globals.WebSocket = own;
      rmSync(file, { force: true });
    }
  });

  it.each(examples.map((b) => [b.name, b] as const))("%s defines an action that registers and runs", async (_name, block) => {
    // Its imports are relative to the repository root, as a reader's file would be.
    const file = new URL(`../../.readme-example-${process.pid}-${block.line}.ts`, import.meta.url);
    writeFileSync(file, block.text);
    try {
      const module = (await import(file.href)) as Record<string, ActionHandler>;
      const actions = Object.values(module);
      expect(actions.length).toBeGreaterThan(0);
      const registry = createActionRegistry(actions);
      for (const action of actions) {
        expect(registry.get(action.type)).toBe(action);
        const calls: string[] = [];
        const result = await invokeAction(action, { channel: "ops", text: "hello" }, {
          signal: new AbortController().signal,
          log: () => {},
          execution: { id: "x", workflowName: "readme", attempt: 1 },
          step: { key: "notify", attempt: 1 },
          services: {
            fetch: (async (url: string) => {
              calls.push(String(url));
              return new Response("ok");
            }) as typeof fetch,
            sendEmail: () => Promise.reject(new Error("unused")),
            now: Date.now,
          },
        });
        expect(result).toMatchObject({ status: "completed" });
        expect(calls.length).toBeGreaterThan(0);
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});
