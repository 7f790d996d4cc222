// The read layer's executions page on real PostgreSQL: one statement that names its tenant, shapes
// only what the selection asks for, and returns the snapshot it read in.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQuery } from "../../src/db/query.ts";
import { countExecutions } from "../../src/read/execution-count.ts";
import { DEFAULT_ORDER } from "../../src/read/execution-cursor.ts";
import { readExecutionPage } from "../../src/read/execution-page.ts";
import type { ExecutionSelection } from "../../src/read/execution-selection.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { rebuildRollup } from "../support/fixture.ts";

let t: TestDatabase;
let pool: pg.Pool;
const statements: string[] = [];
let A: string;
let B: string;

const bare: ExecutionSelection = { columns: new Set(["status"]), workflow: null, progress: false, steps: new Map() };
const full: ExecutionSelection = {
  columns: new Set(["status", "input"]),
  workflow: new Set(["name"]),
  progress: true,
  steps: new Map([
    ["steps", { first: 1, filter: { status: ["COMPLETED"] }, columns: new Set(["key"]), totalCount: true }],
  ]),
};

beforeAll(async () => {
  t = await createTestDatabase();
  pool = new pg.Pool({ connectionString: t.url, max: 2 });
  A = (await t.db.tenant.create({ data: { slug: "a", name: "A" } })).id;
  B = (await t.db.tenant.create({ data: { slug: "b", name: "B" } })).id;
  for (const [tenantId, name] of [
    [A, "alpha 100%"],
    [B, "beta"],
  ] as const) {
    const workflow = await t.db.workflow.create({ data: { tenantId, name } });
    const execution = await t.db.execution.create({
      data: { tenantId, workflowId: workflow.id, workflowVersion: 1, input: { big: "x".repeat(100) } },
    });
    const batch = await t.db.batch.create({ data: { tenantId, executionId: execution.id, index: 0 } });
    await t.db.step.createMany({
      data: ["a", "b", "c"].map((key, index) => ({
        tenantId,
        executionId: execution.id,
        batchId: batch.id,
        key,
        name: key,
        type: "log",
        index,
        status: index < 2 ? ("COMPLETED" as const) : ("PENDING" as const),
      })),
    });
  }
  await rebuildRollup(t.db); // the rows above bypass the engine, which keeps the rollup
});

afterAll(async () => {
  await pool?.end();
  await t?.drop();
});

const query = () => createQuery(pool, (sql) => statements.push(sql));

describe("readExecutionPage", () => {
  it("reads one tenant's page in one statement, with the snapshot it saw", async () => {
    statements.length = 0;
    const page = await readExecutionPage(query(), A, { filter: null, order: DEFAULT_ORDER, args: {}, selection: bare });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain(`"tenantId" = $1::uuid`);
    expect(page.edges).toHaveLength(1);
    expect(page.snapshot).toMatch(/^\d+:\d+:[\d,]*$/);
    // Large columns and sub-objects only when selected.
    expect(Object.keys(page.edges[0]?.node ?? {}).sort()).toEqual(["createdAt", "id", "status", "workflowId"]);
  });

  it("shapes the workflow, progress and the first steps (filtered, counted) inside PostgreSQL", async () => {
    const page = await readExecutionPage(query(), A, { filter: null, order: DEFAULT_ORDER, args: {}, selection: full });
    const node = page.edges[0]?.node;
    expect(node?.input).toEqual({ big: "x".repeat(100) });
    expect(node?.$workflow).toMatchObject({ name: "alpha 100%" });
    expect(node?.$progress).toEqual({ total: 3, completed: 2, failed: 0, skipped: 0, terminal: 2 });
    // One more than asked for: the page knows that more follow.
    expect(node?.$steps?.["steps"]).toEqual({
      nodes: [
        { id: expect.any(String), key: "a" },
        { id: expect.any(String), key: "b" },
      ],
      total: 2,
    });
  });

  it("searches like Prisma's insensitive contains: % and _ match only themselves", async () => {
    const search = (s: string) =>
      readExecutionPage(query(), A, { filter: { search: s }, order: DEFAULT_ORDER, args: {}, selection: bare });
    expect((await search("ALPHA")).edges).toHaveLength(1);
    expect((await search("100%")).edges).toHaveLength(1);
    expect((await search("%")).edges).toHaveLength(1);
    expect((await search("_")).edges).toHaveLength(0);
    expect((await search("beta")).edges).toHaveLength(0);
  });

  it("counts one tenant's matching executions", async () => {
    expect(await countExecutions(query(), A, null)).toBe(1);
    expect(await countExecutions(query(), B, { status: ["FAILED"] })).toBe(0);
    expect(await countExecutions(query(), B, { status: ["PENDING"] })).toBe(1);
  });
});
