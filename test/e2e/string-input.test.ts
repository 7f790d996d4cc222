// String inputs a client could use to break things: a NUL byte (PostgreSQL's text rejects it with
// an internal error), a 900 KB "triggerEvent", and a huge rejected variable echoed back whole.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_STRING_CHARS, STRING_LIMITS } from "../../src/server/string-input.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow } from "../support/engine.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

async function post(query: string, variables?: unknown) {
  const res = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

const CREATE = `mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { __typename } }`;

describe("String inputs", () => {
  it("refuse a NUL byte in a variable, writing nothing", async () => {
    const before = await app.app.db.workflow.count();
    const res = await post(CREATE, { input: { name: "bad\u0000name", definition: { steps: [] } } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message).toContain("$input.name must not contain NUL characters");
    expect(await app.app.db.workflow.count()).toBe(before);
  });

  it("refuse a NUL byte in a literal argument", async () => {
    const res = await post(`{ executions(first: 1, filter: { search: "a\\u0000b" }) { totalCount } }`);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message).toContain("ExecutionFilter.search must not contain NUL characters");
  });

  it("hold free text to its documented limit", async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "transform", config: { output: 1 } }] });
    const limit = STRING_LIMITS["StartExecutionInput.triggerEvent"] as number;
    const res = await post(`mutation($input: StartExecutionInput!) { startExecution(input: $input) { __typename } }`, {
      input: { workflowId, triggerEvent: "x".repeat(900_000) },
    });
    expect(res.body.errors?.[0]?.message, res.text.slice(0, 500)).toContain(`$input.triggerEvent must be at most ${limit} characters`);
    expect(res.text.length).toBeLessThan(2_000);
    expect(await app.app.db.execution.count()).toBe(0);
    const search = await post(`query($s: String) { workflows(first: 1, search: $s) { totalCount } }`, { s: "y".repeat(201) });
    expect(search.body.errors?.[0]?.message).toContain("must be at most 200 characters");
    const general = await post(`query($id: ID!) { node(id: $id) { id } }`, { id: "z".repeat(MAX_STRING_CHARS + 1) });
    expect(general.body.errors?.[0]?.message).toContain(`must be at most ${MAX_STRING_CHARS} characters`);
  });

  it("accepts strings within the limits, including non-ASCII", async () => {
    const res = await post(CREATE, { input: { name: "Résumé ✓ 😀", definition: { steps: [] } } });
    expect(res.body.errors).toBeUndefined();
  });

  it("does not echo a huge rejected variable back whole", async () => {
    const res = await post(CREATE, { input: { name: 42, definition: { steps: [] }, huge: "h".repeat(900_000) } });
    expect(res.body.errors?.[0]).toBeDefined();
    expect(res.text.length).toBeLessThan(2_000);
  });
});
