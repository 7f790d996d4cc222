// Limits on hostile input, end to end: operation shape (graphql-armor) over HTTP, SSE and
// graphql-ws; request body size; JSON scalar input; CSRF; production masking and introspection.
import http from "node:http";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "../support/app.ts";

type Errors = { message: string; extensions?: { code?: string } }[] | undefined;

async function post(app: TestApp, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = (text.startsWith("{") ? JSON.parse(text) : {}) as { data?: unknown; errors?: Errors };
  return { status: res.status, text, ...json };
}

/** `workflows → executions → workflow → executions → …`: depth grows by 3 per level. */
function deepQuery(levels: number): string {
  const open = "executions { edges { node { workflow { ";
  return `{ workflows { edges { node { ${open.repeat(levels)}id${" } } } }".repeat(levels)} } } } }`;
}

const codes = (errors: Errors) => (errors ?? []).map((e) => e.extensions?.code);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

describe("operation limits", () => {
  const bombs: Record<string, string> = {
    depth: deepQuery(5),
    aliases: `{ ${Array.from({ length: 31 }, (_, i) => `w${i}: workflows { totalCount }`).join(" ")} }`,
    directives: `{ workflows ${"@include(if: true) ".repeat(51)}{ totalCount } }`,
    tokens: `{ ${"__typename ".repeat(5001)}}`,
    // Three nested pages of 100: a worst case of a million steps, within the depth limit.
    cost: "{ workflows(first: 100) { edges { node { executions(first: 100) { edges { node { steps(first: 100) { edges { node { id } } } } } } } } } }",
  };

  for (const [name, query] of Object.entries(bombs)) {
    it(`refuses a ${name} bomb with 400 and QUERY_TOO_COMPLEX`, async () => {
      const res = await post(app, { query });
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(codes(res.errors)).toContain("QUERY_TOO_COMPLEX");
    });
  }

  it("answers 400 to graphql-response+json clients too", async () => {
    const res = await post(app, { query: bombs["depth"] }, { accept: "application/graphql-response+json" });
    expect(res.status).toBe(400);
    expect(codes(res.errors)).toContain("QUERY_TOO_COMPLEX");
  });

  it("lets a normal dashboard query through", async () => {
    const query = `query Dashboard($first: Int) {
      workflows(first: $first) { totalCount edges { node { id name version isActive
        executions(first: 5) { edges { node { id status startedAt } } } } } }
      executions(first: $first) { totalCount edges { node { id status workflow { id name } } } }
    }`;
    const res = await post(app, { query, variables: { first: 20 } });
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
  });

  it("applies over graphql-ws", async () => {
    const client = createClient({ url: app.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const errors = await new Promise<Errors>((resolve, reject) => {
        client.subscribe(
          { query: deepQuery(5) },
          {
            next: (result) => resolve(result.errors as Errors),
            error: (error) => (Array.isArray(error) ? resolve(error as Errors) : reject(error as Error)),
            complete: () => resolve(undefined),
          },
        );
      });
      expect(codes(errors)).toContain("QUERY_TOO_COMPLEX");
    } finally {
      await client.dispose();
    }
  });

  it("applies over server-sent events", async () => {
    const open = "workflow { executions { edges { node { ";
    const query = `subscription { executionsChanged { ${open.repeat(4)}id${" } } } }".repeat(4)} } }`;
    const res = await post(app, { query }, { accept: "text/event-stream" });
    expect(res.text).toContain("QUERY_TOO_COMPLEX");
    expect(res.text).not.toContain('"data":{');
  });
});

describe("request body size", () => {
  it("refuses a body over the limit with 413 and a JSON GraphQL error", async () => {
    const query = `{ __typename } # ${"x".repeat(1024 * 1024)}`;
    const res = await post(app, { query });
    expect(res.status).toBe(413);
    expect(codes(res.errors)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  it("refuses a chunked body (no Content-Length) once it passes the limit", async () => {
    // node:http on a connection of its own: the server answers before the body ends and then
    // drops the connection, which a pooled fetch connection would carry into the next test.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(app.url, { method: "POST", agent: false, headers: { "content-type": "application/json" } });
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.write('{"query":"{ __typename }"');
      const chunk = " ".repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end("}");
      };
      pump();
    });
    expect(status).toBe(413);
    expect(codes((JSON.parse(body) as { errors: Errors }).errors)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });
});

describe("JSON input", () => {
  const create = "mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { __typename } }";
  const workflowCount = () => app.app.db.workflow.count();

  function nested(depth: number): unknown {
    let value: unknown = "leaf";
    for (let i = 0; i < depth; i++) value = { child: value };
    return value;
  }

  const cases: Record<string, unknown> = {
    "an oversized definition": { steps: [], padding: "x".repeat(256 * 1024) },
    "an over-deep definition": nested(33),
    "a NUL byte in a string": { steps: [], note: "a\u0000b" },
    "a NUL byte in a key": { steps: [], "a\u0000b": 1 },
    "a lone surrogate": { steps: [], note: "\ud800" },
  };

  for (const [name, definition] of Object.entries(cases)) {
    it(`refuses ${name} with BAD_USER_INPUT and writes nothing`, async () => {
      const before = await workflowCount();
      const res = await post(app, { query: create, variables: { input: { name: "hostile", definition } } });
      expect(res.status).toBeLessThan(500);
      expect(codes(res.errors)).toEqual(["BAD_USER_INPUT"]);
      expect(await workflowCount()).toBe(before);
    });
  }

  it("checks JSON literals in the document too", async () => {
    const before = await workflowCount();
    const deep = `${"{a: ".repeat(33)}1${"}".repeat(33)}`;
    const res = await post(app, { query: `mutation { createWorkflow(input: {name: "n", definition: ${deep}}) { __typename } }` });
    expect(codes(res.errors)).toEqual(["BAD_USER_INPUT"]);
    expect(await workflowCount()).toBe(before);
  });

  it("refuses a NUL byte in trigger data", async () => {
    const start = "mutation($input: StartExecutionInput!) { startExecution(input: $input) { __typename } }";
    const before = await app.app.db.execution.count();
    const res = await post(app, {
      query: start,
      variables: { input: { workflowId: "V29ya2Zsb3c6MQ", input: { text: "\u0000" } } },
    });
    expect(codes(res.errors)).toEqual(["BAD_USER_INPUT"]);
    expect(await app.app.db.execution.count()).toBe(before);
  });

  it("accepts a definition within the limits", async () => {
    const res = await post(app, { query: create, variables: { input: { name: "fine", definition: { steps: [], note: "é 😀" } } } });
    expect(res.errors).toBeUndefined();
  });
});

describe("CSRF prevention", () => {
  it("refuses a form-encoded POST mutation", async () => {
    const before = await app.app.db.workflow.count();
    const query = 'mutation { createWorkflow(input: {name: "csrf", definition: {steps: []}}) { __typename } }';
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query }).toString(),
    });
    expect(res.status).toBe(403);
    await res.text();
    expect(await app.app.db.workflow.count()).toBe(before);
  });

  it("refuses a text/plain POST, with a code the client can act on", async () => {
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("CSRF_HEADER_MISSING");
    expect(body.errors[0]?.message).toContain("x-graphql-yoga-csrf");
  });

  it("refuses an SSE subscription (GET) without the header, and serves it with the header", async () => {
    const query = encodeURIComponent("subscription { executionsChanged { id } }");
    const refused = await fetch(`${app.url}?query=${query}`, { headers: { accept: "text/event-stream" } });
    expect(refused.status).toBe(403);
    await refused.text();
    const abort = new AbortController();
    const served = await fetch(`${app.url}?query=${query}`, {
      headers: { accept: "text/event-stream", "x-graphql-yoga-csrf": "1" },
      signal: abort.signal,
    });
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toContain("text/event-stream");
    abort.abort();
  });

  it("still serves GraphiQL", async () => {
    const res = await fetch(app.url, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Stepstream");
  });
});

describe("in production", () => {
  let prod: TestApp;
  beforeAll(async () => {
    // Production without credentials configured refuses to start (auth.test.ts); dev mode is the explicit way round.
    prod = await startTestApp({ NODE_ENV: "production", AUTH_DEV_MODE: "true" });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it("masks internal errors: no SQL, table name, stack or internal message", async () => {
    await prod.app.db.$executeRawUnsafe('ALTER TABLE "Workflow" RENAME TO "WorkflowGone"');
    try {
      const res = await post(prod, { query: "{ workflows { totalCount } }" });
      expect(res.errors?.[0]?.message).toBe("Unexpected error.");
      expect(codes(res.errors)).toEqual(["INTERNAL_SERVER_ERROR"]);
      expect(res.text).not.toMatch(/Workflow"|relation|SELECT|prisma|stack|at \w+ \(/i);
    } finally {
      await prod.app.db.$executeRawUnsafe('ALTER TABLE "WorkflowGone" RENAME TO "Workflow"');
    }
  });

  it("refuses introspection", async () => {
    const res = await post(prod, { query: "{ __schema { types { name } } }" });
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
    const typename = await post(prod, { query: "{ __typename }" });
    expect(typename.data).toEqual({ __typename: "Query" });
  });

  it("hides field suggestions", async () => {
    const res = await post(prod, { query: "{ workflow { id } }" });
    expect(res.text).not.toContain("Did you mean");
  });

  it("serves no GraphiQL", async () => {
    const res = await fetch(prod.url, { headers: { accept: "text/html" } });
    expect(await res.text()).not.toContain("<html");
  });
});

describe("SQL-looking and malformed input", () => {
  const sqlish = `'; DROP TABLE "Execution"; -- %_\\ ' OR '1'='1`;

  it("stores SQL-looking text in a name, trigger data and trigger event verbatim, and searches for it literally", async () => {
    const created = await post(app, {
      query: `mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) {
        ... on CreateWorkflowSuccess { workflow { id name } } ... on Error { code } } }`,
      variables: { input: { name: sqlish, definition: { steps: [{ id: "a", type: "log", config: { message: "x" } }] } } },
    });
    const workflow = (created.data as { createWorkflow: { workflow: { id: string; name: string } } }).createWorkflow.workflow;
    expect(workflow.name).toBe(sqlish);
    const started = await post(app, {
      query: `mutation($input: StartExecutionInput!) { startExecution(input: $input) {
        ... on StartExecutionSuccess { execution { id input triggerEvent } } ... on Error { code } } }`,
      variables: { input: { workflowId: workflow.id, input: { q: sqlish, [sqlish]: [sqlish] }, triggerEvent: sqlish } },
    });
    expect((started.data as { startExecution: { execution: unknown } }).startExecution.execution).toMatchObject({
      input: { q: sqlish, [sqlish]: [sqlish] },
      triggerEvent: sqlish,
    });
    const search = async (text: string) => {
      const res = await post(app, {
        query: "query($s: String) { executions(filter: { search: $s }) { totalCount } workflows(search: $s) { totalCount } }",
        variables: { s: text },
      });
      return res.data as { executions: { totalCount: number }; workflows: { totalCount: number } };
    };
    expect(await search(sqlish)).toEqual({ executions: { totalCount: 1 }, workflows: { totalCount: 1 } });
    expect(await search("' OR '1'='1' --x")).toEqual({ executions: { totalCount: 0 }, workflows: { totalCount: 0 } });
    expect(await app.app.db.execution.count()).toBeGreaterThan(0);
  });

  it.each([
    ["an invalid ID", '{ execution(id: "not-an-id") { id } }', "BAD_USER_INPUT"],
    ["an invalid cursor", '{ executions(after: "garbage") { totalCount } }', "BAD_USER_INPUT"],
    ["an unknown enum value", "{ executions(filter: { status: [EXPLODED] }) { totalCount } }", "GRAPHQL_VALIDATION_FAILED"],
    ["an enum value as a string", '{ executions(filter: { status: ["FAILED"] }) { totalCount } }', "GRAPHQL_VALIDATION_FAILED"],
  ])("answers %s with a typed client error, never a 500", async (_name, query, code) => {
    const res = await post(app, { query });
    expect(res.status).toBeLessThan(500);
    expect(codes(res.errors)).toEqual([code]);
    expect(res.text).not.toMatch(/Unexpected error|prisma|SELECT/i);
  });
});

describe("outside production", () => {
  it("allows introspection", async () => {
    const res = await post(app, { query: "{ __schema { queryType { name } } }" });
    expect(res.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});
