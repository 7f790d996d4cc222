// The demo data written by `npm run seed` comes from the engine's own transitions; these checks hold
// it to the invariants the engine keeps (and to what the worker needs to finish the runs the seed
// leaves open), so the dashboard built on it never shows a state the real system cannot produce.
// Each check is one SQL query that counts violations, scoped to the tenant the test seeds.
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
  summary = await seed({ db, url: t.url }, { executions: EXECUTIONS, tenant: TENANT, now: NOW });
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
  it("writes the requested number of executions over 9 workflows, one of them inactive", async () => {
    expect(summary.counts.executions).toBe(EXECUTIONS);
    // Every kind of row was written (so the checks below do not pass on empty tables).
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
    expect(await count(`SELECT count(*)::int AS n FROM "Workflow" WHERE "tenantId" = $1::uuid`)).toBe(9);
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

  it("leaves every step and batch of a finished execution terminal", async () => {
    for (const table of ["Step", "Batch"]) {
      expect(
        await count(`SELECT count(*)::int AS n FROM "${table}" r JOIN "Execution" e ON e.id = r."executionId"
          WHERE e."tenantId" = $1::uuid AND e.status NOT IN ('PENDING', 'RUNNING')
            AND r.status IN ('PENDING', 'RUNNING')`),
        table,
      ).toBe(0);
    }
    // Every finished run ended for a reason the runner gives, and none waits for a retry the seed
    // did not play (the history queues no jobs, so such a retry would never come).
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid
        AND (("completedAt" IS NULL) <> (status IN ('PENDING', 'RUNNING')) OR "nextRetryAt" IS NOT NULL)`),
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

  it("fails a FAILED execution's batch with its event and cancels the later batches", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e LEFT JOIN "Step" s ON s.id = e."errorStepId"
        WHERE e."tenantId" = $1::uuid AND e.status = 'FAILED'
          AND (s.id IS NULL OR s.status <> 'FAILED' OR NOT s.critical OR s.error IS NULL OR s."errorCode" IS NULL
               OR e."errorMessage" IS NULL OR e."errorCode" IS DISTINCT FROM 'STEP_FAILED')`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        JOIN "Step" f ON f.id = e."errorStepId" JOIN "Batch" fb ON fb.id = f."batchId"
        WHERE e."tenantId" = $1::uuid AND e.status = 'FAILED'
          AND (fb.status <> 'FAILED' OR NOT EXISTS (SELECT 1 FROM "ExecutionEvent" ev
            WHERE ev."batchId" = fb.id AND ev.type = 'BATCH_COMPLETED' AND ev.data ->> 'status' = 'FAILED'))`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        JOIN "Step" f ON f.id = e."errorStepId" JOIN "Batch" fb ON fb.id = f."batchId"
        JOIN "Batch" sb ON sb."executionId" = e.id AND sb.index > fb.index
        LEFT JOIN "Step" s ON s."batchId" = sb.id
        WHERE e."tenantId" = $1::uuid AND e.status = 'FAILED'
          AND (sb.status <> 'CANCELLED' OR s.status <> 'CANCELLED' OR s.attempt <> 0 OR s."startedAt" IS NOT NULL)`),
    ).toBe(0);
  });

  it("leaves open runs the worker can finish: queued with a job, or asleep with a wake-up job", async () => {
    // Nothing open without either a live lease or a queued run job.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e WHERE e."tenantId" = $1::uuid
        AND e.status IN ('PENDING', 'RUNNING')
        AND NOT (e."leaseOwner" IS NOT NULL AND e."leaseExpiresAt" > now())
        AND NOT EXISTS (SELECT 1 FROM graphile_worker.jobs j WHERE j.key = 'run:' || e.id::text)`),
    ).toBe(0);
    // RUNNING: asleep in one RUNNING step of one RUNNING batch, woken by its job in the next 10 minutes.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e WHERE e."tenantId" = $1::uuid AND e.status = 'RUNNING'
        AND (e."completedAt" IS NOT NULL OR e."leaseOwner" IS NOT NULL
          OR (SELECT count(*) FROM "Batch" b WHERE b."executionId" = e.id AND b.status = 'RUNNING') <> 1
          OR (SELECT count(*) FROM "Step" s JOIN graphile_worker.jobs j ON j.key = 'run:' || e.id::text
              WHERE s."executionId" = e.id AND s.status = 'RUNNING' AND s."wakeAt" = j.run_at
                AND s."wakeAt" BETWEEN $2 AND $2 + interval '10 minutes') <> 1)`,
        NOW,
      ),
    ).toBe(0);
    // The worker reaches no http step in them (no host it could call is up here).
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" s JOIN "Execution" e ON e.id = s."executionId"
        WHERE e."tenantId" = $1::uuid AND e.status IN ('PENDING', 'RUNNING') AND s.status = 'PENDING' AND s.type = 'http'`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e WHERE e."tenantId" = $1::uuid AND e.status = 'PENDING'
        AND (e."startedAt" IS NOT NULL OR e."lastEventSequence" <> 1
          OR EXISTS (SELECT 1 FROM "Batch" b WHERE b."executionId" = e.id AND (b.status <> 'PENDING' OR b."startedAt" IS NOT NULL)))`),
    ).toBe(0);
  });

  it("records who cancelled and why, and what timed out", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid AND status = 'CANCELLED'
        AND ("cancelReason" IS NULL OR "cancelledBy" IS NULL OR "completedAt" IS NULL OR "errorCode" <> 'CANCELLED')`),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid AND status = 'TIMED_OUT'
        AND ("errorCode" IS DISTINCT FROM 'TIMEOUT' OR "completedAt" IS NULL)`),
    ).toBe(0);
    // A timed-out run ended at its definition's deadline (timeoutMs after it started), or just after
    // it when it was asleep then (its wake-up job runs a little late).
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" e
        JOIN "WorkflowVersion" v ON v."workflowId" = e."workflowId" AND v.version = e."workflowVersion"
        WHERE e."tenantId" = $1::uuid AND e.status = 'TIMED_OUT'
          AND e."durationMs" NOT BETWEEN (v.definition ->> 'timeoutMs')::int AND (v.definition ->> 'timeoutMs')::int + 5000`),
    ).toBe(0);
    // Steps that started ran at least once; the others never did (a skipped step is stamped, not run).
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" WHERE "tenantId" = $1::uuid AND status <> 'SKIPPED'
        AND (("startedAt" IS NULL) <> (attempt = 0))`),
    ).toBe(0);
  });

  it("calls every action with a config the real action accepts", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" WHERE "tenantId" = $1::uuid
        AND "errorCode" IN ('INVALID_INPUT', 'TEMPLATE_MISSING_VARIABLE', 'UNKNOWN_ACTION', 'ENGINE_ERROR', 'ACTION_ERROR')`),
    ).toBe(0);
  });

  it("makes durations match their times and batches run one after another", async () => {
    // The engine gives a cancelled step or batch no duration: it did not finish.
    for (const table of ["Execution", "Batch", "Step"]) {
      expect(
        await count(`SELECT count(*)::int AS n FROM "${table}" WHERE "tenantId" = $1::uuid
          AND ${table === "Execution" ? "true" : "status <> 'CANCELLED'"}
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
    // Steps of a batch overlap instead of running one after the other.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Step" a JOIN "Step" b ON b."batchId" = a."batchId" AND b.index > a.index
        WHERE a."tenantId" = $1::uuid AND a.status = 'COMPLETED' AND b.status = 'COMPLETED' AND a."startedAt" = b."startedAt"`),
    ).toBeGreaterThan(0);
  });

  it("numbers every execution's events 1..lastEventSequence without gaps, in time order, ending in its status", async () => {
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

  it("links each automatic retry to the earlier run of the same workflow that scheduled it", async () => {
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" r LEFT JOIN "Execution" o ON o.id = r."retryOfId"
        WHERE r."tenantId" = $1::uuid AND r."triggerSource" = 'RETRY'
          AND (o.id IS NULL OR o.status NOT IN ('FAILED', 'TIMED_OUT') OR o."workflowId" <> r."workflowId"
               OR r.attempt <> o.attempt + 1 OR r."createdAt" < o."completedAt" OR r.input IS DISTINCT FROM o.input)`),
    ).toBe(0);
    // Only a retryable failure is retried automatically.
    expect(
      await count(`SELECT count(*)::int AS n FROM "Execution" r JOIN "Execution" o ON o.id = r."retryOfId"
        JOIN "Step" f ON f.id = o."errorStepId"
        WHERE r."tenantId" = $1::uuid AND f."errorCode" IN ('HTTP_402', 'HTTP_409', 'HTTP_413', 'SMOKE_TEST_FAILED')`),
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

  it("replaces its own data when run again, the same way, and leaves other tenants alone", async () => {
    const other = await seed({ db, url: t.url }, { executions: 20, now: NOW });
    expect(other.tenantId).not.toBe(tenantId);
    const again = await seed({ db, url: t.url }, { executions: EXECUTIONS, tenant: TENANT, now: NOW });
    expect(again.tenantId).toBe(tenantId);
    expect(again.replacedWorkflows).toBe(9);
    // The same seed and `now` play out the same, however the concurrent runs interleaved.
    expect(again.counts).toEqual(summary.counts);
    expect(again.statuses).toEqual(summary.statuses);
    expect(await count(`SELECT count(*)::int AS n FROM "Execution" WHERE "tenantId" = $1::uuid`)).toBe(EXECUTIONS);
    const dev = await db.tenant.findUniqueOrThrow({ where: { slug: DEV_TENANT.slug }, select: { id: true } });
    expect(await db.execution.count({ where: { tenantId: dev.id } })).toBe(20);
  });
});
