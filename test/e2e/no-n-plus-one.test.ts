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
    app = await startTestApp();
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

  it("is the same for a page of 5 or 50 workflows with their stats", async () => {
    const small = await countStatements(() => app.query(WorkflowTable, { first: 5 }));
    const large = await countStatements(() => app.query(WorkflowTable, { first: 50 }));
    expect(large.result.workflows.edges).toHaveLength(50);
    expect(large.result.workflows.edges[0]?.node.stats.total).toBe(1);
    expect(large.count).toBe(small.count);
  });
});
