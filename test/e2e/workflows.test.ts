// The workflows and workflow queries over HTTP, against the fixture: alpha (2 versions), beta and
// gamma (inactive); the "other" tenant has an alpha of its own that must never show.
// The mutations are in workflow-mutations.test.ts.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, definitionV1, definitionV2, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const Workflows = graphql(`
  query WorkflowsTestList($first: Int, $after: String, $last: Int, $before: String, $search: String) {
    workflows(first: $first, after: $after, last: $last, before: $before, search: $search) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name } }
    }
  }
`);

const WorkflowById = graphql(`
  query WorkflowsTestOne($id: ID!) {
    workflow(id: $id) { id name description version isActive definition }
  }
`);

const names = (r: { workflows: { edges: { node: { name: string } }[] } }) => r.workflows.edges.map((e) => e.node.name);

describe("workflows", () => {
  it("lists the tenant's workflows by name, never the other tenant's", async () => {
    const { workflows } = await app.query(Workflows, {});
    // The other tenant also has an "alpha": exactly one alpha means it is not listed.
    expect(workflows.edges.map((e) => e.node)).toEqual([
      { id: encodeGlobalId("Workflow", f.workflows.alpha), name: "alpha" },
      { id: encodeGlobalId("Workflow", f.workflows.beta), name: "beta" },
      { id: encodeGlobalId("Workflow", f.workflows.gamma), name: "gamma" }, // inactive ones too
    ]);
    expect(workflows.totalCount).toBe(3);
    expect(workflows.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it.each([
    ["ALP", ["alpha"]], // name, case-insensitive
    ["  beta  ", ["beta"]], // trimmed
    ["HA W", ["alpha"]], // only in the description "alpha workflow"
    ["Workflow", ["alpha", "beta", "gamma"]], // every description
    ["", ["alpha", "beta", "gamma"]], // empty = no filter
    ["zzz", []],
  ])("search %j matches %j, and totalCount follows it", async (search, expected) => {
    const result = await app.query(Workflows, { search });
    expect(names(result)).toEqual(expected);
    expect(result.workflows.totalCount).toBe(expected.length);
  });

  it("has an empty page with null cursors when nothing matches", async () => {
    const { workflows } = await app.query(Workflows, { search: "zzz" });
    expect(workflows).toEqual({
      totalCount: 0,
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      edges: [],
    });
  });

  it("pages forwards: a partial page, the rest, an exact page and past the end", async () => {
    const first = await app.query(Workflows, { first: 2 });
    expect(names(first)).toEqual(["alpha", "beta"]);
    expect(first.workflows.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(first.workflows.pageInfo.startCursor).toBe(first.workflows.edges[0]?.cursor);
    expect(first.workflows.pageInfo.endCursor).toBe(first.workflows.edges[1]?.cursor);

    const rest = await app.query(Workflows, { first: 2, after: first.workflows.pageInfo.endCursor });
    expect(names(rest)).toEqual(["gamma"]);
    expect(rest.workflows.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(rest.workflows.totalCount).toBe(3); // across all pages, not this one

    const exact = await app.query(Workflows, { first: 3 });
    expect(names(exact)).toEqual(["alpha", "beta", "gamma"]);
    expect(exact.workflows.pageInfo.hasNextPage).toBe(false);

    const past = await app.query(Workflows, { first: 2, after: exact.workflows.pageInfo.endCursor });
    expect(names(past)).toEqual([]);
    expect(past.workflows.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
    expect(past.workflows.totalCount).toBe(3);
  });

  it("pages backwards from the end and before a cursor", async () => {
    const last = await app.query(Workflows, { last: 2 });
    expect(names(last)).toEqual(["beta", "gamma"]);
    expect(last.workflows.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

    const before = await app.query(Workflows, { last: 2, before: last.workflows.pageInfo.startCursor });
    expect(names(before)).toEqual(["alpha"]);
    expect(before.workflows.pageInfo.hasPreviousPage).toBe(false);

    const exact = await app.query(Workflows, { last: 3 });
    expect(names(exact)).toEqual(["alpha", "beta", "gamma"]);
    expect(exact.workflows.pageInfo.hasPreviousPage).toBe(false);

    const alphaCursor = exact.workflows.edges[0]?.cursor;
    const none = await app.query(Workflows, { last: 2, before: alphaCursor });
    expect(names(none)).toEqual([]);
  });

  it("pages within a search", async () => {
    // "a" is in every name; the second page of one holds beta.
    const page1 = await app.query(Workflows, { search: "a", first: 1 });
    const page2 = await app.query(Workflows, { search: "a", first: 1, after: page1.workflows.pageInfo.endCursor });
    expect([...names(page1), ...names(page2)]).toEqual(["alpha", "beta"]);
    expect(page2.workflows.totalCount).toBe(3);
  });

  it.each([[{ first: 101 }], [{ last: 101 }], [{ first: -1 }], [{ first: 1, last: 1 }], [{ after: "not-a-cursor" }]])(
    "rejects %j with BAD_USER_INPUT",
    async (args) => {
      const result = await app.request(Workflows, args);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    },
  );

  it("accepts first: 100", async () => {
    expect(names(await app.query(Workflows, { first: 100 }))).toHaveLength(3);
  });
});

describe("workflow", () => {
  it("returns the current version's definition: alpha was saved twice, so version 2 with 4 steps", async () => {
    const id = encodeGlobalId("Workflow", f.workflows.alpha);
    const { workflow } = await app.query(WorkflowById, { id });
    expect(workflow).toEqual({
      id,
      name: "alpha",
      description: "alpha workflow",
      version: 2,
      isActive: true,
      definition: definitionV2,
    });
    const steps = (workflow?.definition as typeof definitionV2 | undefined)?.steps ?? [];
    expect(steps.map((s) => s.id)).toEqual(["fetch", "transform", "notify", "archive"]);
  });

  it("shows an inactive workflow as such", async () => {
    const { workflow } = await app.query(WorkflowById, { id: encodeGlobalId("Workflow", f.workflows.gamma) });
    expect(workflow).toMatchObject({ name: "gamma", isActive: false, version: 1, definition: definitionV1 });
  });

  it("is null for a missing workflow and for another tenant's", async () => {
    for (const uuid of [randomUUID(), f.workflows.other]) {
      expect(await app.request(WorkflowById, { id: encodeGlobalId("Workflow", uuid) })).toEqual({
        data: { workflow: null },
      });
    }
  });

  it.each([
    ["an Execution ID", () => encodeGlobalId("Execution", f.executions.e1 as string)],
    ["a malformed ID", () => "abc"],
  ])("rejects %s with BAD_USER_INPUT", async (_what, id) => {
    const result = await app.request(WorkflowById, { id: id() });
    expect(result.data).toEqual({ workflow: null });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});
