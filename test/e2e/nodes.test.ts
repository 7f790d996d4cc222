// Relay object identification: node(id) and nodes(ids) for every node type, tenant isolation (an
// object of another tenant is exactly as absent as one that never existed) and malformed IDs.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
/** One row of every node type in the other tenant (the fixture only gives it a workflow and a run). */
let other: Record<NodeType, string>;

const NODE_TYPES = ["Workflow", "Execution", "Batch", "Step", "ExecutionEvent", "LogEntry"] as const;
type NodeType = (typeof NODE_TYPES)[number];

beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
  const db = app.app.db;
  const tenantId = f.otherTenantId;
  const executionId = f.otherExecution;
  const batch = await db.batch.create({ data: { tenantId, executionId, index: 0 } });
  const step = await db.step.create({
    data: { tenantId, executionId, batchId: batch.id, key: "fetch", name: "fetch", type: "http", index: 0 },
  });
  const event = await db.executionEvent.create({
    data: { tenantId, executionId, sequence: 1, type: "EXECUTION_QUEUED", executionStatus: "PENDING" },
  });
  const log = await db.logEntry.create({ data: { tenantId, executionId, level: "INFO", message: "other tenant" } });
  other = {
    Workflow: f.workflows.other,
    Execution: f.otherExecution,
    Batch: batch.id,
    Step: step.id,
    ExecutionEvent: event.id,
    LogEntry: log.id,
  };
});
afterAll(() => app.stop());

const NodeQuery = graphql(`
  query NodesTestNode($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Workflow { name version }
      ... on Execution { status workflow { name } }
      ... on Batch { index execution { status } }
      ... on Step { key stepStatus: status }
      ... on ExecutionEvent { sequence type }
      ... on LogEntry { level message }
    }
  }
`);

const NodesQuery = graphql(`
  query NodesTestNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      id
      ... on Workflow { name }
      ... on Execution { status }
      ... on Step { key }
    }
  }
`);

/** The fixture's (tenant's own) row of every node type, with what node() must show of it. */
function ownNodes(): { type: NodeType; uuid: string; expected: Record<string, unknown> }[] {
  return [
    // alpha was saved twice, so its current version is 2.
    { type: "Workflow", uuid: f.workflows.alpha, expected: { name: "alpha", version: 2 } },
    {
      type: "Execution",
      uuid: f.executions.e1 as string,
      expected: { status: "COMPLETED", workflow: { name: "alpha" } },
    },
    { type: "Batch", uuid: f.e1.batches[1] as string, expected: { index: 1, execution: { status: "COMPLETED" } } },
    { type: "Step", uuid: f.e1.steps.notify as string, expected: { key: "notify", stepStatus: "SKIPPED" } },
    { type: "ExecutionEvent", uuid: f.e1.events[2] as string, expected: { sequence: 3, type: "BATCH_STARTED" } },
    { type: "LogEntry", uuid: f.e1.logs[2] as string, expected: { level: "WARN", message: "Slow transform: 3 s" } },
  ];
}

describe("node", () => {
  it.each(NODE_TYPES)("returns a %s with its __typename and fields", async (type) => {
    const own = ownNodes().find((n) => n.type === type);
    if (!own) throw new Error(`no fixture row for ${type}`);
    const id = encodeGlobalId(type, own.uuid);
    const { node } = await app.query(NodeQuery, { id });
    expect(node).toEqual({ __typename: type, id, ...own.expected });
  });

  it.each(NODE_TYPES)(
    "returns null for another tenant's %s, exactly as for a uuid that never existed",
    async (type) => {
      const foreign = await app.request(NodeQuery, { id: encodeGlobalId(type, other[type]) });
      const missing = await app.request(NodeQuery, { id: encodeGlobalId(type, randomUUID()) });
      expect(foreign).toEqual({ data: { node: null } });
      expect(missing).toEqual({ data: { node: null } });
    },
  );

  it("returns null when the uuid exists but under another type", async () => {
    // e1's uuid is not a Workflow's: the type in the ID decides the table.
    const result = await app.request(NodeQuery, { id: encodeGlobalId("Workflow", f.executions.e1 as string) });
    expect(result).toEqual({ data: { node: null } });
  });

  it("accepts an uppercase uuid in an otherwise well-formed ID", async () => {
    const uuid = f.executions.e2 as string;
    const { node } = await app.query(NodeQuery, { id: encodeGlobalId("Execution", uuid.toUpperCase()) });
    expect(node).toMatchObject({ __typename: "Execution", id: encodeGlobalId("Execution", uuid), status: "FAILED" });
  });
});

describe("nodes", () => {
  it("keeps the order of the IDs and puts null where an object is missing or foreign", async () => {
    const ids = [
      encodeGlobalId("Step", f.e1.steps.archive as string),
      encodeGlobalId("Workflow", f.workflows.other), // other tenant's
      encodeGlobalId("Execution", f.executions.e8 as string),
      encodeGlobalId("Execution", randomUUID()), // never existed
      encodeGlobalId("Workflow", f.workflows.beta),
      encodeGlobalId("Execution", f.otherExecution), // other tenant's
      encodeGlobalId("Step", f.e1.steps.fetch as string),
    ];
    const { nodes } = await app.query(NodesQuery, { ids });
    expect(nodes).toEqual([
      { __typename: "Step", id: ids[0], key: "archive" },
      null,
      { __typename: "Execution", id: ids[2], status: "COMPLETED" },
      null,
      { __typename: "Workflow", id: ids[4], name: "beta" },
      null,
      { __typename: "Step", id: ids[6], key: "fetch" },
    ]);
  });

  it("returns the same object for a repeated ID, and an empty list for no IDs", async () => {
    const id = encodeGlobalId("Workflow", f.workflows.gamma);
    const { nodes } = await app.query(NodesQuery, { ids: [id, id] });
    expect(nodes).toEqual([
      { __typename: "Workflow", id, name: "gamma" },
      { __typename: "Workflow", id, name: "gamma" },
    ]);
    expect(await app.query(NodesQuery, { ids: [] })).toEqual({ nodes: [] });
  });

  it("returns every node type in one request", async () => {
    const own = ownNodes();
    const { nodes } = await app.query(NodesQuery, { ids: own.map((n) => encodeGlobalId(n.type, n.uuid)) });
    expect(nodes.map((n) => n?.__typename)).toEqual(own.map((n) => n.type));
  });
});

describe("malformed IDs", () => {
  const uuid = "2f1b6f0e-6a39-4c4e-9a53-0d7f6f3b8c11";
  const b64 = (text: string) => Buffer.from(text).toString("base64url");
  const malformed: [string, string][] = [
    ["not base64 of anything", "abc"],
    ["an empty string", ""],
    ["no type name", b64(`:${uuid}`)],
    ["no separator", b64(`Execution${uuid}`)],
    ["a non-uuid id", b64("Execution:not-a-uuid")],
    ["a numeric id", b64("Execution:42")],
    ["trailing garbage after the uuid", b64(`Execution:${uuid}x`)],
    ["an unknown type name", b64(`Unicorn:${uuid}`)],
    ["the Node interface", b64(`Node:${uuid}`)],
    ["an enum", b64(`ExecutionStatus:${uuid}`)],
    ["an input type", b64(`StepFilter:${uuid}`)],
    ["a type that is not a node", b64(`PageInfo:${uuid}`)],
    ["an object type that is not a node", b64(`ExecutionProgress:${uuid}`)],
    ["the root query type", b64(`Query:${uuid}`)],
  ];

  it.each(malformed)("node() rejects %s with BAD_USER_INPUT", async (_what, id) => {
    const result = await app.request(NodeQuery, { id });
    expect(result.data).toEqual({ node: null });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({ path: ["node"], extensions: { code: "BAD_USER_INPUT" } });
    expect(result.errors?.[0]?.message).not.toMatch(/unexpected error/i);
  });

  it.each(malformed)("nodes() rejects %s with BAD_USER_INPUT", async (_what, id) => {
    const ids = [encodeGlobalId("Workflow", f.workflows.alpha), id];
    const result = await app.request(NodesQuery, { ids });
    expect(result.errors?.length).toBeGreaterThan(0);
    for (const error of result.errors ?? []) expect(error.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
