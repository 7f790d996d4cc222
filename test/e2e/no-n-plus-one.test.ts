// The dashboard query must cost the same number of SQL statements for any page size.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { rebuildRollup } from "../support/fixture.ts";

const Dashboard = graphql(`
  query Dashboard($first: Int!) {
    executions(first: $first) {
      totalCount
      edges {
        node {
          id
          status
          workflow { name }
          progress { totalSteps completedSteps percent }
          currentSteps { key }
          steps(first: 20) { totalCount edges { node { key status durationMs } } }
        }
      }
    }
  }
`);

// The dashboard of bench/dashboard.ts, with totalCount: its page is one statement, its count another.
const DashboardPage = graphql(`
  query DashboardPage($first: Int!) {
    executions(first: $first) {
      totalCount
      edges {
        node {
          id
          status
          createdAt
          durationMs
          workflow { name }
          progress { totalSteps completedSteps failedSteps percent }
          steps(first: 10) { edges { node { key status durationMs } } }
        }
      }
    }
  }
`);

// Everything the page statement does not preload falls back to batched loads.
const Everything = graphql(`
  query Everything($first: Int!) {
    executions(first: $first) {
      edges {
        cursor
        node {
          id
          input
          output
          error { message }
          retryOf { id }
          wf: workflow { name }
          workflow { definition isActive }
          batches { totalCount }
          events(first: 1) { edges { node { type } } }
          currentSteps { key execution { id } }
          firstTwo: steps(first: 2) {
            pageInfo { hasNextPage endCursor }
            edges { cursor node { key input error } }
          }
          steps(first: 1, filter: { status: [PENDING] }) { totalCount edges { node { key batch { index } } } }
        }
      }
    }
  }
`);

const WorkflowTable = graphql(`
  query WorkflowTable($first: Int!) {
    workflows(first: $first) {
      edges { node { name version definition stats { total successRate p95DurationMs } } }
    }
  }
`);

describe("statement counts", () => {
  let app: TestApp;
  beforeAll(async () => {
    // No worker: its sweeps would land in the counted windows whenever the machine is slow.
    app = await startTestApp({ RUN_WORKER: "false" });
    const db = app.app.db;
    const tenant = await ensureDevTenant(db);
    // 60 workflows with 1 run each, each run with 2 batches of 5 steps.
    for (let w = 0; w < 60; w++) {
      const workflow = await db.workflow.create({
        data: {
          tenantId: tenant.id,
          name: `wf-${String(w).padStart(2, "0")}`,
          versions: { create: { tenantId: tenant.id, version: 1, definition: { steps: [] } } },
        },
      });
      const execution = await db.execution.create({
        data: { tenantId: tenant.id, workflowId: workflow.id, workflowVersion: 1, status: "RUNNING", durationMs: w },
      });
      const batches = await Promise.all(
        [0, 1].map((index) => db.batch.create({ data: { tenantId: tenant.id, executionId: execution.id, index } })),
      );
      await db.step.createMany({
        data: Array.from({ length: 10 }, (_, i) => ({
          tenantId: tenant.id,
          executionId: execution.id,
          batchId: (batches[i < 5 ? 0 : 1] as { id: string }).id,
          key: `s${i}`,
          name: `s${i}`,
          type: "log",
          index: i,
          status: i < 5 ? ("COMPLETED" as const) : i === 5 ? ("RUNNING" as const) : ("PENDING" as const),
        })),
      });
    }
    // 50 older runs without steps, of an older workflow that sorts last, so that a page of 100 is full.
    const older = await db.workflow.create({
      data: {
        tenantId: tenant.id,
        name: "zz-older",
        createdAt: new Date(Date.now() - 86_400_000),
        versions: { create: { tenantId: tenant.id, version: 1, definition: { steps: [] } } },
      },
    });
    await db.execution.createMany({
      data: Array.from({ length: 50 }, (_, i) => ({
        tenantId: tenant.id,
        workflowId: older.id,
        workflowVersion: 1,
        status: "PENDING" as const,
        createdAt: new Date(Date.now() - 86_400_000 - i * 1000),
      })),
    });
    await rebuildRollup(db); // the rows above bypass the engine, which keeps the rollup
  });
  afterAll(() => app.stop());

  async function countStatements<T>(run: () => Promise<T>): Promise<{ result: T; count: number }> {
    app.statements.length = 0;
    const result = await run();
    return { result, count: app.statements.length };
  }

  it("is the same for executions(first: 5) and executions(first: 50)", async () => {
    const small = await countStatements(() => app.query(Dashboard, { first: 5 }));
    const large = await countStatements(() => app.query(Dashboard, { first: 50 }));
    expect(small.result.executions.edges).toHaveLength(5);
    expect(large.result.executions.edges).toHaveLength(50);
    const node = large.result.executions.edges[0]?.node;
    expect(node?.steps.edges).toHaveLength(10);
    expect(node?.progress).toEqual({ totalSteps: 10, completedSteps: 5, percent: 50 });
    expect(node?.currentSteps).toEqual([{ key: "s5" }]);
    expect(large.count).toBe(small.count);
    // executions + count + workflows + steps (+ step counts, current steps) + progress: a handful.
    expect(large.count).toBeLessThanOrEqual(8);
  });

  it("reads the dashboard in at most 2 statements (the page, the count) for any page size", async () => {
    for (const first of [1, 10, 50, 100]) {
      const { result, count } = await countStatements(() => app.query(DashboardPage, { first }));
      expect(result.executions.edges).toHaveLength(first);
      expect(result.executions.totalCount).toBe(110);
      const node = result.executions.edges[0]?.node;
      expect(node?.workflow.name).toMatch(/^wf-/);
      expect(node?.progress).toEqual({ totalSteps: 10, completedSteps: 5, failedSteps: 0, percent: 50 });
      expect(node?.steps.edges.map((e) => e.node.key)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`));
      expect(count, `executions(first: ${first})`).toBeLessThanOrEqual(2);
    }
  });

  it("resolves what the page statement does not preload, in batches", async () => {
    const small = await countStatements(() => app.query(Everything, { first: 5 }));
    const large = await countStatements(() => app.query(Everything, { first: 50 }));
    expect(large.result.executions.edges).toHaveLength(50);
    const node = large.result.executions.edges[0]?.node;
    expect(node).toMatchObject({
      input: null,
      output: null,
      error: null,
      retryOf: null,
      wf: { name: expect.stringMatching(/^wf-/) },
      workflow: { definition: { steps: [] }, isActive: true },
      batches: { totalCount: 2 },
      events: { edges: [] },
      currentSteps: [{ key: "s5", execution: { id: node?.id } }],
      firstTwo: { pageInfo: { hasNextPage: true }, edges: [{ node: { key: "s0" } }, { node: { key: "s1" } }] },
      steps: { totalCount: 4, edges: [{ node: { key: "s6", batch: { index: 1 } } }] },
    });
    expect(large.count).toBe(small.count);
  });

  it("is the same for a page of 5 or 50 workflows with their stats", async () => {
    const small = await countStatements(() => app.query(WorkflowTable, { first: 5 }));
    const large = await countStatements(() => app.query(WorkflowTable, { first: 50 }));
    expect(large.result.workflows.edges).toHaveLength(50);
    expect(large.result.workflows.edges[0]?.node.stats.total).toBe(1);
    expect(large.count).toBe(small.count);
  });
});
