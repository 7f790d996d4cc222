// The live list's filter, evaluated in memory (read/list-changes/match.ts), must mean exactly
// what the executions query's where (schema/execution/filter.ts) asks of PostgreSQL: compared on
// the fixture's runs for each kind of condition and some combinations; and so must the SQL form
// (read/execution-filter.ts) the dashboard statement and totalCount use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.ts";
import { createMatcher } from "../../src/read/list-changes/match.ts";
import { executionFilterSql } from "../../src/read/execution-filter.ts";
import { createSqlParams } from "../../src/read/sql-params.ts";
import {
  executionFilter,
  executionListFilter,
  type ExecutionFilterInput,
  executionWhere,
} from "../../src/schema/execution/filter.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let database: TestDatabase;
let db: Db;
let f: Fixture;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url });
  f = await createFixture(db);
  // Who started them and their external ids (the fixture's runs are all SYSTEM "system", none has one).
  await db.execution.update({ where: { id: f.executions.e2 as string }, data: { startedByKind: "USER", startedById: "ada", externalId: "order-7" } });
  await db.execution.update({ where: { id: f.executions.e3 as string }, data: { startedByKind: "API_KEY", startedById: API_KEY_ID } });
  await db.execution.update({ where: { id: f.executions.e5 as string }, data: { startedByKind: "USER", startedById: "ada", externalId: "ORDER-7" } });
});

const API_KEY_ID = "5c1d3f2a-9b8e-4c7d-8a6b-1f2e3d4c5b6a";
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
      { startedBy: "ada" },
      { startedBy: "ADA" },
      { startedBy: "system" },
      { startedBy: gid("ApiKey", API_KEY_ID) },
      { externalId: "order-7" },
      { externalId: "order-7", startedBy: "ada", status: ["FAILED"] },
      { externalId: "" },
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
      // And the SQL the dashboard statement and the row count use.
      const params = createSqlParams();
      const tenant = params.add(f.tenantId);
      const text = `SELECT e.id FROM "Execution" e WHERE e."tenantId" = ${tenant}::uuid AND ${executionFilterSql(executionFilter(filter), params, tenant)}`;
      const rows = await db.$queryRawUnsafe<{ id: string }[]>(text, ...params.values);
      expect(rows.map((r) => r.id).sort(), `SQL ${JSON.stringify(filter)}`).toEqual(queried.map((r) => r.id).sort());
    }
  });
});
