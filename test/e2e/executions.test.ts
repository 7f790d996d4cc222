// The executions query and Workflow.executions over real HTTP: orderings, filters and tenant
// isolation, with every expected list worked out by hand from test/support/fixture.ts.
// Pagination lives in executions-pagination.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import type { ExecutionFilter } from "../generated/graphql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  directions,
  Executions,
  expectBadUserInput,
  expectedOrder,
  gid,
  keys,
  orderFields,
  WorkflowExecutions,
} from "../support/executions.ts";
import { createFixture, executionSpecs, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;

beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const ById = graphql(`
  query ExecutionAndWorkflowById($execution: ID!, $workflow: ID!) {
    execution(id: $execution) { id }
    workflow(id: $workflow) { id executions { totalCount } }
  }
`);

const NodeById = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) { id }
  }
`);

const decode = (id: string) => Buffer.from(id, "base64url").toString();

/** Keys of all runs matching `filter` (default order: newest first), checking totalCount agrees. */
async function matching(filter: ExecutionFilter): Promise<string[]> {
  const { executions } = await app.query(Executions, { filter });
  expect(executions.totalCount).toBe(executions.edges.length);
  return keys(executions);
}

describe("executions: default order", () => {
  it("lists the tenant's eight runs newest first, and nothing of the other tenant", async () => {
    const { executions } = await app.query(Executions, {});
    // createdAt is day 1..8 for e1..e8; the default is CREATED_AT DESC.
    expect(keys(executions)).toEqual(["e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1"]);
    expect(executions.totalCount).toBe(8);
    expect(executions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    // Node IDs are "Execution:<uuid>" of the fixture rows; the other tenant's run is not among them.
    const uuids = executions.edges.map((edge) => decode(edge.node.id));
    expect(uuids).toEqual(["e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1"].map((k) => `Execution:${f.executions[k]}`));
    expect(uuids).not.toContain(`Execution:${f.otherExecution}`);
    expect(executions.edges.map((edge) => edge.node.status)).toEqual(
      [...executionSpecs].reverse().map((spec) => spec.status),
    );
  });
});

describe("executions: orderBy", () => {
  for (const field of orderFields) {
    for (const direction of directions) {
      it(`${field} ${direction}`, async () => {
        const { executions } = await app.query(Executions, { orderBy: { field, direction } });
        expect(keys(executions)).toEqual(expectedOrder(f, field, direction));
        expect(executions.totalCount).toBe(8);
      });
    }
  }

  it("spells the orders out for the NULL and tie cases", async () => {
    // Not via expectedOrder, so a mistake there cannot hide one here.
    const order = async (field: "STARTED_AT" | "DURATION", direction: "ASC" | "DESC") =>
      keys((await app.query(Executions, { orderBy: { field, direction } })).executions);
    // e5 never started: last in both directions.
    expect(await order("STARTED_AT", "ASC")).toEqual(["e1", "e2", "e3", "e4", "e6", "e7", "e8", "e5"]);
    expect(await order("STARTED_AT", "DESC")).toEqual(["e8", "e7", "e6", "e4", "e3", "e2", "e1", "e5"]);
    // e3 and e8 both took 3000 ms: their order flips with the direction, by uuid.
    const tieAsc = (f.executions.e3 as string) < (f.executions.e8 as string) ? ["e3", "e8"] : ["e8", "e3"];
    const asc = await order("DURATION", "ASC");
    const desc = await order("DURATION", "DESC");
    expect(asc.slice(0, 6)).toEqual(["e2", "e6", ...tieAsc, "e1", "e7"]);
    expect(desc.slice(0, 6)).toEqual(["e7", "e1", ...[...tieAsc].reverse(), "e6", "e2"]);
    expect(new Set(asc.slice(6))).toEqual(new Set(["e4", "e5"]));
    // e4 and e5 have no duration: last both ways, their order flipping with the direction.
    expect(asc.slice(6)).toEqual([...desc.slice(6)].reverse());
  });
});

describe("executions: filter", () => {
  it("workflowId takes a Workflow global ID", async () => {
    expect(await matching({ workflowId: gid("Workflow", f.workflows.alpha) })).toEqual(["e8", "e6", "e4", "e2", "e1"]);
    expect(await matching({ workflowId: gid("Workflow", f.workflows.beta) })).toEqual(["e7", "e5", "e3"]);
    // gamma has no runs; the other tenant's workflow has one, but not in this tenant.
    expect(await matching({ workflowId: gid("Workflow", f.workflows.gamma) })).toEqual([]);
    expect(await matching({ workflowId: gid("Workflow", f.workflows.other) })).toEqual([]);
  });

  it("rejects a workflowId that is not a Workflow ID", async () => {
    const executionId = gid("Execution", f.executions.e1 as string);
    expectBadUserInput(
      await app.request(Executions, { filter: { workflowId: executionId } }),
      /Expected a Workflow ID, got a Execution ID/,
    );
    expectBadUserInput(await app.request(Executions, { filter: { workflowId: "garbage" } }), /Invalid ID: "garbage"/);
    expectBadUserInput(
      await app.request(Executions, { filter: { workflowId: gid("Workflow", "not-a-uuid") } }),
      /Invalid ID/,
    );
  });

  it("status takes a list", async () => {
    expect(await matching({ status: ["COMPLETED"] })).toEqual(["e8", "e3", "e1"]);
    expect(await matching({ status: ["FAILED", "TIMED_OUT"] })).toEqual(["e7", "e2"]);
    expect(await matching({ status: ["RUNNING", "PENDING", "CANCELLED"] })).toEqual(["e6", "e5", "e4"]);
    expect(await matching({ status: ["CANCELLED"] })).toEqual(["e6"]);
    // "Only these statuses" with none listed: nothing.
    expect(await matching({ status: [] })).toEqual([]);
    expect(await matching({ status: null })).toHaveLength(8);
  });

  it("rejects an unknown status as a request error, not a server error", async () => {
    // Raw fetch, to see the HTTP status: the variable fails coercion before anything runs.
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({
        query: "query ($filter: ExecutionFilter) { executions(filter: $filter) { totalCount } }",
        variables: { filter: { status: ["DONE"] } },
      }),
    });
    expect(res.status).toBeLessThan(500);
    const body = (await res.json()) as {
      data?: unknown;
      errors: { message: string; extensions?: { code?: string } }[];
    };
    expect(body.data ?? null).toBeNull();
    expect(body.errors).toHaveLength(1);
    // Says what is wrong, rather than a masked "Unexpected error.".
    expect(body.errors[0]?.message).toMatch(/"DONE".*ExecutionStatus/);
    expect(body.errors[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
  });

  it("triggerSource takes a list", async () => {
    expect(await matching({ triggerSource: ["EVENT"] })).toEqual(["e7", "e3"]);
    expect(await matching({ triggerSource: ["API", "RETRY"] })).toEqual(["e8", "e5", "e2"]);
    expect(await matching({ triggerSource: ["MANUAL", "SCHEDULE"] })).toEqual(["e6", "e4", "e1"]);
  });

  it("createdAfter is inclusive and createdBefore exclusive, exactly at a createdAt", async () => {
    const e3 = "2026-11-03T09:00:00.000Z"; // e3's createdAt
    const e6 = "2026-11-06T09:00:00.000Z"; // e6's createdAt
    expect(await matching({ createdAfter: e3 })).toEqual(["e8", "e7", "e6", "e5", "e4", "e3"]);
    expect(await matching({ createdBefore: e3 })).toEqual(["e2", "e1"]);
    expect(await matching({ createdAfter: e3, createdBefore: e6 })).toEqual(["e5", "e4", "e3"]);
    // One millisecond either side moves the boundary run out.
    expect(await matching({ createdAfter: "2026-11-03T09:00:00.001Z" })).toEqual(["e8", "e7", "e6", "e5", "e4"]);
    expect(await matching({ createdBefore: "2026-11-03T09:00:00.001Z" })).toEqual(["e3", "e2", "e1"]);
    // [t, t) is empty; an offset names the same instant (10:00+01:00 is 09:00Z).
    expect(await matching({ createdAfter: e3, createdBefore: e3 })).toEqual([]);
    expect(await matching({ createdAfter: "2026-11-03T10:00:00+01:00", createdBefore: e6 })).toEqual([
      "e5",
      "e4",
      "e3",
    ]);
    // Outside the fixture's range altogether.
    expect(await matching({ createdAfter: "2026-11-09T00:00:00Z" })).toEqual([]);
    expect(await matching({ createdBefore: "2026-11-01T00:00:00Z" })).toEqual([]);
  });

  it("search is a case-insensitive substring of workflow name, trigger event or error message", async () => {
    // errorMessage of e2: "Gateway timeout from payments".
    expect(await matching({ search: "GATEWAY" })).toEqual(["e2"]);
    // triggerEvent of e7: "invoice.due"; of e2: "order.created".
    expect(await matching({ search: "invoice" })).toEqual(["e7"]);
    expect(await matching({ search: "Order.Cr" })).toEqual(["e2"]);
    // Workflow name: beta runs e3, e5, e7.
    expect(await matching({ search: "beta" })).toEqual(["e7", "e5", "e3"]);
    expect(await matching({ search: "ALPHA" })).toEqual(["e8", "e6", "e4", "e2", "e1"]);
    // "timeout" in two error messages: e2's "Gateway timeout ..." and e7's "... timeoutMs".
    expect(await matching({ search: "timeout" })).toEqual(["e7", "e2"]);
    // Surrounding blanks are trimmed; a blank search does not narrow.
    expect(await matching({ search: "  signup " })).toEqual(["e3"]);
    expect(await matching({ search: "   " })).toHaveLength(8);
    expect(await matching({ search: "nothing like this" })).toEqual([]);
  });

  it("search treats LIKE wildcards literally", async () => {
    // No name, event or message contains "%" or "_"; as patterns they would match every run.
    expect(await matching({ search: "%" })).toEqual([]);
    expect(await matching({ search: "_" })).toEqual([]);
    expect(await matching({ search: "a%a" })).toEqual([]);
    // A lone backslash must not leave LIKE with a dangling escape character.
    expect(await matching({ search: "\\" })).toEqual([]);
    // Escaping leaves ordinary text alone: e2's trigger event.
    expect(await matching({ search: "order.created" })).toEqual(["e2"]);
  });

  it("combines conditions with AND", async () => {
    const alpha = gid("Workflow", f.workflows.alpha);
    const beta = gid("Workflow", f.workflows.beta);
    // alpha's COMPLETED runs: e1, e8.
    expect(await matching({ workflowId: alpha, status: ["COMPLETED"] })).toEqual(["e8", "e1"]);
    // beta's runs (e3, e5, e7) that are COMPLETED or PENDING: e3, e5.
    expect(await matching({ search: "beta", status: ["COMPLETED", "PENDING"] })).toEqual(["e5", "e3"]);
    // EVENT runs (e3, e7) created on or after day 5: e7.
    expect(await matching({ triggerSource: ["EVENT"], createdAfter: "2026-11-05T00:00:00Z" })).toEqual(["e7"]);
    // "timeout" (e2, e7) within beta: e7; within alpha: e2.
    expect(await matching({ search: "timeout", workflowId: beta })).toEqual(["e7"]);
    expect(await matching({ search: "timeout", workflowId: alpha })).toEqual(["e2"]);
    // alpha, API or MANUAL (e1, e2, e6), before day 6: e1, e2.
    expect(
      await matching({
        workflowId: alpha,
        triggerSource: ["API", "MANUAL"],
        createdBefore: "2026-11-06T09:00:00Z",
      }),
    ).toEqual(["e2", "e1"]);
    // Contradictory conditions: beta has no RETRY run.
    expect(await matching({ workflowId: beta, triggerSource: ["RETRY"] })).toEqual([]);
  });

  it("applies the filter before ordering and paging; totalCount counts the whole filtered set", async () => {
    // alpha's runs by duration, ascending: e2 1000, e6 2000, e8 3000, e1 5000, then e4 (none).
    const { executions } = await app.query(Executions, {
      filter: { workflowId: gid("Workflow", f.workflows.alpha) },
      orderBy: { field: "DURATION", direction: "ASC" },
      first: 2,
    });
    expect(keys(executions)).toEqual(["e2", "e6"]);
    expect(executions.totalCount).toBe(5);
    expect(executions.pageInfo.hasNextPage).toBe(true);
  });
});

describe("Workflow.executions", () => {
  const alpha = () => gid("Workflow", f.workflows.alpha);

  it("lists only the workflow's runs, newest first", async () => {
    const { workflow } = await app.query(WorkflowExecutions, { id: alpha() });
    // alpha ran e1, e2, e4, e6, e8.
    expect(keys(workflow?.executions ?? { edges: [] })).toEqual(["e8", "e6", "e4", "e2", "e1"]);
    expect(workflow?.executions.totalCount).toBe(5);
    expect(new Set(workflow?.executions.edges.map((edge) => edge.node.workflow.name))).toEqual(new Set(["alpha"]));
  });

  it("filters, and ignores the filter's workflowId", async () => {
    const run = async (filter: ExecutionFilter) => {
      const { workflow } = await app.query(WorkflowExecutions, { id: alpha(), filter });
      expect(workflow?.executions.totalCount).toBe(workflow?.executions.edges.length);
      return keys(workflow?.executions ?? { edges: [] });
    };
    expect(await run({ status: ["COMPLETED"] })).toEqual(["e8", "e1"]);
    // beta's ID changes nothing: still alpha's runs.
    expect(await run({ workflowId: gid("Workflow", f.workflows.beta) })).toEqual(["e8", "e6", "e4", "e2", "e1"]);
    expect(await run({ workflowId: gid("Workflow", f.workflows.beta), triggerSource: ["MANUAL"] })).toEqual([
      "e6",
      "e1",
    ]);
    // "timeout" matches e2 and e7; only e2 is alpha's. "beta" matches no alpha run.
    expect(await run({ search: "timeout" })).toEqual(["e2"]);
    expect(await run({ search: "beta" })).toEqual([]);
  });

  it("orders and pages", async () => {
    // alpha by duration ascending: e2 1000, e6 2000, e8 3000, e1 5000, e4 (none, last).
    const page = async (after: string | null) => {
      const { workflow } = await app.query(WorkflowExecutions, {
        id: alpha(),
        first: 2,
        after,
        orderBy: { field: "DURATION", direction: "ASC" },
      });
      if (!workflow) throw new Error("alpha not found");
      expect(workflow.executions.totalCount).toBe(5);
      return workflow.executions;
    };
    const p1 = await page(null);
    expect(keys(p1)).toEqual(["e2", "e6"]);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await page(p1.pageInfo.endCursor ?? null);
    expect(keys(p2)).toEqual(["e8", "e1"]);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = await page(p2.pageInfo.endCursor ?? null);
    expect(keys(p3)).toEqual(["e4"]);
    expect(p3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    // Backward from the end: e4 and e1, then e8 and e6, then e2.
    const { workflow } = await app.query(WorkflowExecutions, {
      id: alpha(),
      last: 2,
      orderBy: { field: "DURATION", direction: "ASC" },
    });
    expect(keys(workflow?.executions ?? { edges: [] })).toEqual(["e1", "e4"]);
    expect(workflow?.executions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it("validates page sizes like the top-level query", async () => {
    // workflow is nullable, so the error nulls it rather than the whole response.
    const result = await app.request(WorkflowExecutions, { id: alpha(), first: 101 });
    expect(result.data).toEqual({ workflow: null });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({
      path: ["workflow", "executions"],
      extensions: { code: "BAD_USER_INPUT" },
      message: '"first" must not exceed 100 (got 101)',
    });
  });
});

describe("tenant isolation", () => {
  it("does not reach the other tenant's workflow or run by ID", async () => {
    const result = await app.query(ById, {
      execution: gid("Execution", f.otherExecution),
      workflow: gid("Workflow", f.workflows.other),
    });
    expect(result).toEqual({ execution: null, workflow: null });
  });

  it("does not reach them through node(id) either", async () => {
    for (const id of [gid("Workflow", f.workflows.other), gid("Execution", f.otherExecution)]) {
      expect(await app.query(NodeById, { id })).toEqual({ node: null });
    }
  });

  it("does reach this tenant's (a check on the queries above)", async () => {
    const e1 = gid("Execution", f.executions.e1 as string);
    const result = await app.query(ById, { execution: e1, workflow: gid("Workflow", f.workflows.alpha) });
    expect(result.execution?.id).toBe(e1);
    expect(result.workflow?.executions.totalCount).toBe(5);
    expect(await app.query(NodeById, { id: e1 })).toEqual({ node: { id: e1 } });
  });
});
