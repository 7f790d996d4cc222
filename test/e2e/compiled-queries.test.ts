// Queries run compiled (graphql-jit); what a client sees must not change. A document with two
// operations once ran the first one's compiled code for the second (the compiled query was cached
// per document): such documents run uncompiled.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

async function post(query: string, operationName?: string, variables?: Record<string, unknown>) {
  const res = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, operationName, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
}

it("runs the operation asked for, in a document of two, whichever ran first", async () => {
  const document = `
    query One($id: ID!) { node(id: $id) { id } }
    query Two { executions(first: 1) { totalCount } }
  `;
  const missing = "RXhlY3V0aW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA";
  expect(await post(document, "One", { id: missing })).toEqual({ data: { node: null } });
  expect(await post(document, "Two")).toEqual({ data: { executions: { totalCount: 0 } } });
  expect(await post(document, "One", { id: missing })).toEqual({ data: { node: null } });
});

it("answers one-operation queries compiled as graphql-js would", async () => {
  const query = "query { executions(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage } } }";
  expect(await post(query)).toEqual({ data: { executions: { totalCount: 0, edges: [], pageInfo: { hasNextPage: false } } } });
  // The second time the compiled query is cached: the same answer.
  expect(await post(query)).toEqual({ data: { executions: { totalCount: 0, edges: [], pageInfo: { hasNextPage: false } } } });
});
