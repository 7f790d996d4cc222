// The demo data written by `npm run seed` must obey the same invariants the engine keeps, or the
// dashboard built on it would show states the real system never produces. Each check is one SQL
// query that counts violations, scoped to the tenant the test seeds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { DEV_TENANT, type SeedSummary, seed } from "../../src/seed/seed.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

const EXECUTIONS = 300;
const TENANT = { slug: "seed-test", name: "Seed test" };
const NOW = new Date("2026-11-22T12:00:00.000Z");

let t: TestDatabase;
let db: Db;
let summary: SeedSummary;
let tenantId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  summary = await seed(db, { executions: EXECUTIONS, tenant: TENANT, now: NOW });
  tenantId = summary.tenantId;
});

afterAll(async () => {
  await t?.drop();
});

/** Runs a query whose single column `n` counts something; $1 is the tenant id, then `params`. */
async function count(sql: string, ...params: unknown[]): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ n: number }[]>(sql, tenantId, ...params);
  return Number(rows[0]?.n);
}

async function distinct(sql: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ v: string }[]>(sql, tenantId);
  return rows.map((r) => r.v).sort();
}

describe("seed", () => {
  it("writes the requested number of executions over 8 workflows, one of them inactive", async () => {
    expect(summary.counts.executions).toBe(EXECUTIONS);
    // Every generated row reached its table (so the checks below do not pass on empty tables).
    const tables = {
      workflows: "Workflow",
      workflowVersions: "WorkflowVersion",
      executions: "Execution",
      batches: "Batch",
      steps: "Step",
      events: "ExecutionEvent",
      logs: "LogEntry",
    } as const;
    for (const [key, table] of Object.entries(tables)) {
      const n = await count(`SELECT count(*)::int AS n FROM "${table}" WHERE "tenantId" = $1::uuid`);
      expect(n, table).toBe(summary.counts[key as keyof typeof tables]);
      expect(n, table).toBeGreaterThan(0);
    }
    expect(await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid`)).toBe(EXECUTIONS);
    expect(await count(`SELECT count(*)::int AS n FROM "Workflow" WHERE "tenantId" = $1::uuid`)).toBe(8);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Workflow" WHERE "tenantId" = $1::uuid AND NOT "isActive"`),
    ).toBe(1);
    // Every workflow's current version exists, and at least one has older versions still run by old executions.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Workflow" w WHERE w."tenantId" = $1::uuid
        AND NOT EXISTS (SELECT 1 FROM "WorkflowVersion" v WHERE v."workflowId" = w.id AND v.version = w.version)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e JOIN "Workflow" w ON w.id = e."workflowId"
        WHERE e."tenantId" = $1::uuid AND e."workflowVersion" < w.version`),
    ).toBeGreaterThan(0);
  });

  it("covers every execution status and trigger source", async () => {
    expect(await distinct(`SELECT DISTINCT status::text AS v FROM "Execution" WHERE "tenantId" = $1::uuid`)).toEqual([
      "CANCELLED",
      "COMPLETED",
      "FAILED",
      "PENDING",
      "RUNNING",
      "TIMED_OUT",
    ]);
    expect(
      await distinct(`SELECT DISTINCT "triggerSource"::text AS v FROM "Execution" WHERE "tenantId" = $1::uuid`),
    ).toEqual(["API", "EVENT", "MANUAL", "RETRY", "SCHEDULE"]);
  });

  it("puts the tenant id on every row", async () => {
    for (const table of ["WorkflowVersion", "Batch", "Step", "ExecutionEvent", "LogEntry"]) {
      const parent =
        table === "WorkflowVersion"
          ? `"Workflow" p ON p.id = r."workflowId"`
          : `"Execution" p ON p.id = r."executionId"`;
      expect(
        await count(`SELECT count(*)::int AS n FROM "${table}" r JOIN ${parent}
          WHERE p."tenantId" = $1::uuid AND r."tenantId" <> p."tenantId"`),
        table,
      ).toBe(0);
    }
  });

  it("gives every execution the steps of its workflow version, in definition order", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s
        JOIN "Execution" e ON e.id = s."executionId"
        JOIN "WorkflowVersion" v ON v."workflowId" = e."workflowId" AND v.version = e."workflowVersion"
        WHERE e."tenantId" = $1::uuid AND v.definition -> 'steps' -> s.index ->> 'id' IS DISTINCT FROM s.key`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        JOIN "WorkflowVersion" v ON v."workflowId" = e."workflowId" AND v.version = e."workflowVersion"
        WHERE e."tenantId" = $1::uuid
          AND jsonb_array_length(v.definition -> 'steps') <> (SELECT count(*) FROM "Step" s WHERE s."executionId" = e.id)`),
    ).toBe(0);
    // A step's batch belongs to the same execution, and batches are numbered 0..n-1.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s JOIN "Batch" b ON b.id = s."batchId"
        WHERE s."tenantId" = $1::uuid AND b."executionId" <> s."executionId"`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM (SELECT "executionId", count(*) AS c, max(index) AS m FROM "Batch"
        WHERE "tenantId" = $1::uuid GROUP BY "executionId") x WHERE x.m <> x.c - 1`),
    ).toBe(0);
  });

  it("finishes every step of a COMPLETED execution, failing only non-critical ones", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s JOIN "Execution" e ON e.id = s."executionId"
        WHERE e."tenantId" = $1::uuid AND e.status = 'COMPLETED'
          AND (s.status NOT IN ('COMPLETED', 'SKIPPED', 'FAILED') OR (s.status = 'FAILED' AND s.critical))`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid AND status = 'COMPLETED'
        AND (output IS NULL OR "completedAt" IS NULL)`),
    ).toBe(0);
  });

  it("records a failed critical step for every FAILED execution and cancels the later batches", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e LEFT JOIN "Step" s ON s.id = e."errorStepId"
        WHERE e."tenantId" = $1::uuid AND e.status = 'FAILED'
          AND (s.id IS NULL OR s.status <> 'FAILED' OR NOT s.critical OR s.error IS NULL OR s."errorCode" IS NULL
               OR e."errorMessage" IS NULL OR e."errorCode" IS NULL)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        JOIN "Step" f ON f.id = e."errorStepId" JOIN "Batch" fb ON fb.id = f."batchId"
        JOIN "Step" s ON s."executionId" = e.id JOIN "Batch" sb ON sb.id = s."batchId"
        WHERE e."tenantId" = $1::uuid AND e.status = 'FAILED' AND sb.index > fb.index
          AND (s.status <> 'CANCELLED' OR s.attempt <> 0 OR s."startedAt" IS NOT NULL)`),
    ).toBe(0);
  });

  it("keeps RUNNING, PENDING, CANCELLED and TIMED_OUT executions in their states", async () => {
    // RUNNING: one RUNNING batch with a RUNNING step, nothing after it started, no end time.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e WHERE e."tenantId" = $1::uuid AND e.status = 'RUNNING'
        AND (e."completedAt" IS NOT NULL
          OR (SELECT count(*) FROM "Batch" b WHERE b."executionId" = e.id AND b.status = 'RUNNING') <> 1
          OR NOT EXISTS (SELECT 1 FROM "Step" s WHERE s."executionId" = e.id AND s.status = 'RUNNING')
          OR EXISTS (SELECT 1 FROM "Batch" b JOIN "Batch" r ON r."executionId" = b."executionId" AND r.status = 'RUNNING'
                     WHERE b."executionId" = e.id AND b.index > r.index AND b.status <> 'PENDING'))`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e WHERE e."tenantId" = $1::uuid AND e.status = 'PENDING'
        AND (e."startedAt" IS NOT NULL
          OR EXISTS (SELECT 1 FROM "Batch" b WHERE b."executionId" = e.id AND (b.status <> 'PENDING' OR b."startedAt" IS NOT NULL)))`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid AND status = 'CANCELLED'
        AND ("cancelReason" IS NULL OR "cancelledBy" IS NULL OR "completedAt" IS NULL)`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid AND status = 'TIMED_OUT'
        AND ("errorCode" IS DISTINCT FROM 'TIMEOUT' OR "completedAt" IS NULL)`),
    ).toBe(0);
    // Steps that started ran at least once; the others never did.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" WHERE "tenantId" = $1::uuid
        AND (("startedAt" IS NULL) <> (attempt = 0))`),
    ).toBe(0);
  });

  it("makes durations match their times and batches run one after another", async () => {
    for (const table of ["Execution", "Batch", "Step"]) {
      expect(
        await count(`SELECT count(*)::int AS n FROM "${table}" WHERE "tenantId" = $1::uuid
          AND "durationMs" IS DISTINCT FROM (round(extract(epoch FROM ("completedAt" - "startedAt")) * 1000))::int`),
        table,
      ).toBe(0);
    }
    expect(
      await count(`SELECT count(*)::int AS n FROM "Batch" a JOIN "Batch" b ON b."executionId" = a."executionId" AND b.index = a.index + 1
        WHERE a."tenantId" = $1::uuid AND b."startedAt" IS NOT NULL AND (a."completedAt" IS NULL OR b."startedAt" < a."completedAt")`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s JOIN "Batch" b ON b.id = s."batchId"
        WHERE s."tenantId" = $1::uuid AND s."startedAt" IS NOT NULL
          AND (s."startedAt" < b."startedAt" OR s."completedAt" > b."completedAt")`),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid
        AND ("startedAt" < "createdAt" OR "completedAt" < "startedAt" OR greatest("createdAt", "completedAt") > $2)`,
        NOW,
      ),
    ).toBe(0);
  });

  it("numbers events 1..lastEventSequence without gaps, in time order, ending in the execution's status", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        LEFT JOIN (SELECT "executionId", count(*) AS c, min(sequence) AS lo, max(sequence) AS hi
                   FROM "ExecutionEvent" GROUP BY "executionId") ev ON ev."executionId" = e.id
        WHERE e."tenantId" = $1::uuid
          AND (ev.c IS NULL OR ev.lo <> 1 OR ev.hi <> e."lastEventSequence" OR ev.c <> e."lastEventSequence")`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM (SELECT at, lag(at) OVER (PARTITION BY "executionId" ORDER BY sequence) AS prev
        FROM "ExecutionEvent" WHERE "tenantId" = $1::uuid) x WHERE x.at < x.prev`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e JOIN "ExecutionEvent" ev
          ON ev."executionId" = e.id AND ev.sequence = e."lastEventSequence"
        WHERE e."tenantId" = $1::uuid AND ev."executionStatus" <> e.status`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "ExecutionEvent" WHERE "tenantId" = $1::uuid
        AND ((type::text LIKE 'STEP\\_%' AND ("stepId" IS NULL OR "batchId" IS NULL))
          OR (type::text LIKE 'BATCH\\_%' AND "batchId" IS NULL)
          OR (type::text LIKE 'EXECUTION\\_%' AND "stepId" IS NOT NULL))`),
    ).toBe(0);
    // Each finished step has exactly one event saying how it finished.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s WHERE s."tenantId" = $1::uuid
        AND s.status IN ('COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED')
        AND (SELECT count(*) FROM "ExecutionEvent" ev WHERE ev."stepId" = s.id
             AND ev.type::text = 'STEP_' || s.status::text) <> 1`),
    ).toBe(0);
  });

  it("links retries to an earlier FAILED execution of the same workflow", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" r LEFT JOIN "Execution" o ON o.id = r."retryOfId"
        WHERE r."tenantId" = $1::uuid AND r."triggerSource" = 'RETRY'
          AND (o.id IS NULL OR o.status <> 'FAILED' OR o."workflowId" <> r."workflowId"
               OR r.attempt <> o.attempt + 1 OR r."createdAt" < o."completedAt")`),
    ).toBe(0);
  });

  it("writes log entries inside their step's run", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "LogEntry" l JOIN "Step" s ON s.id = l."stepId"
        WHERE l."tenantId" = $1::uuid
          AND (l.at < coalesce(s."startedAt", s."completedAt") OR l.at > coalesce(s."completedAt", l.at))`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s WHERE s."tenantId" = $1::uuid AND s.status = 'FAILED'
        AND NOT EXISTS (SELECT 1 FROM "LogEntry" l WHERE l."stepId" = s.id AND l.level = 'ERROR')`),
    ).toBe(0);
  });

  it("replaces its own data when run again and leaves other tenants alone", async () => {
    const other = await seed(db, { executions: 20, now: NOW });
    expect(other.tenantId).not.toBe(tenantId);
    const again = await seed(db, { executions: EXECUTIONS, tenant: TENANT, now: NOW });
    expect(again.tenantId).toBe(tenantId);
    expect(again.replacedWorkflows).toBe(8);
    expect(again.counts).toEqual(summary.counts);
    expect(await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid`)).toBe(EXECUTIONS);
    const dev = await db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT.slug }, select: { id: true } });
    expect(await db.execution.count({ where: { tenantId: dev.id } })).toBe(20);
  });
});
