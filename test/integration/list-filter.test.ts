// The live list's filter, evaluated in memory (read/list-changes/match.ts), must mean exactly
// what the executions query's where (schema/execution/filter.ts) asks of PostgreSQL: compared on
// the fixture's runs for each kind of condition and some combinations.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";
import { createMatcher } from "../../src/read/list-changes/match.ts";
import { executionListFilter, type ExecutionFilterInput, executionWhere } from "../../src/schema/execution/filter.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let database: TestDatabase;
let db: Db;
let f: Fixture;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url });
  f = await createFixture(db);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64url");

describe("the live list filter", () => {
  it("selects the same runs as the executions query", async () => {
    const filters: ExecutionFilterInput[] = [
      {},
      { status: ["RUNNING"] },
      { status: [] },
      { status: ["COMPLETED", "FAILED"] },
      { triggerSource: ["API", "EVENT"] },
      { workflowId: gid("Workflow", f.workflows.beta) },
      { createdAfter: new Date(Date.UTC(2026, 10, 3, 9)) },
      { createdBefore: new Date(Date.UTC(2026, 10, 3, 9)) },
      { createdAfter: new Date(Date.UTC(2026, 10, 2)), createdBefore: new Date(Date.UTC(2026, 10, 6)) },
      { search: "GATEWAY" },
      { search: "  beta " },
      { search: "order." },
      { search: "%" },
      { search: "_" },
      { search: "   " },
      { search: "timeout", status: ["FAILED", "TIMED_OUT"], workflowId: gid("Workflow", f.workflows.alpha) },
    ];
    const runs = await db.execution.findMany({ where: { tenantId: f.tenantId }, include: { workflow: { select: { name: true } } } });
    for (const filter of filters) {
      const queried = await db.execution.findMany({
        where: { AND: [{ tenantId: f.tenantId }, executionWhere(filter)] },
        select: { id: true },
      });
      const matches = createMatcher(executionListFilter(filter));
      const matched = runs.filter((r) => matches({ ...r, workflowName: r.workflow.name }));
      expect(matched.map((r) => r.id).sort(), JSON.stringify(filter)).toEqual(queried.map((r) => r.id).sort());
    }
  });
});
