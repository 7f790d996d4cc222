// A small, hand-made data set whose every value a test can reason about. Times are fixed
// (November 2026, UTC) so orderings and filters have known answers.
import type { ExecutionStatus, Prisma, StepStatus, TriggerSource } from "@prisma/client";
import type { Db } from "../../src/db/client.ts";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { REBUILD_ROLLUP_SQL } from "../../src/engine/store/rollup.ts";

const t = (day: number, hour = 0, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute));

export const definitionV1 = {
  steps: [
    { id: "fetch", type: "http", config: { url: "https://example.test/{{input.id}}" } },
    { id: "transform", type: "transform", config: { output: "{{steps.fetch.output.body}}" }, dependsOn: ["fetch"] },
    { id: "notify", type: "log", config: { message: "done" }, dependsOn: ["fetch"], critical: false },
  ],
};
export const definitionV2 = {
  steps: [...definitionV1.steps, { id: "archive", type: "delay", config: { ms: 10 }, dependsOn: ["transform"] }],
};

type ExecutionSpec = {
  key: string;
  workflow: "alpha" | "beta";
  status: ExecutionStatus;
  triggerSource: TriggerSource;
  triggerEvent?: string;
  errorMessage?: string;
  created: Date;
  started?: Date;
  durationMs?: number;
};

// Eight runs with distinct createdAt; startedAt/completedAt/durationMs are null where a run has
// not started or finished, to exercise NULLs in orderings.
export const executionSpecs: readonly ExecutionSpec[] = [
  {
    key: "e1",
    workflow: "alpha",
    status: "COMPLETED",
    triggerSource: "MANUAL",
    created: t(1, 9),
    started: t(1, 9, 1),
    durationMs: 5000,
  },
  {
    key: "e2",
    workflow: "alpha",
    status: "FAILED",
    triggerSource: "API",
    triggerEvent: "order.created",
    errorMessage: "Gateway timeout from payments",
    created: t(2, 9),
    started: t(2, 9, 1),
    durationMs: 1000,
  },
  {
    key: "e3",
    workflow: "beta",
    status: "COMPLETED",
    triggerSource: "EVENT",
    triggerEvent: "user.signup",
    created: t(3, 9),
    started: t(3, 9, 1),
    durationMs: 3000,
  },
  { key: "e4", workflow: "alpha", status: "RUNNING", triggerSource: "SCHEDULE", created: t(4, 9), started: t(4, 9, 1) },
  { key: "e5", workflow: "beta", status: "PENDING", triggerSource: "API", created: t(5, 9) },
  {
    key: "e6",
    workflow: "alpha",
    status: "CANCELLED",
    triggerSource: "MANUAL",
    created: t(6, 9),
    started: t(6, 9, 1),
    durationMs: 2000,
  },
  {
    key: "e7",
    workflow: "beta",
    status: "TIMED_OUT",
    triggerSource: "EVENT",
    triggerEvent: "invoice.due",
    errorMessage: "Run exceeded timeoutMs",
    created: t(7, 9),
    started: t(7, 9, 1),
    durationMs: 9000,
  },
  {
    key: "e8",
    workflow: "alpha",
    status: "COMPLETED",
    triggerSource: "RETRY",
    created: t(8, 9),
    started: t(8, 9, 1),
    durationMs: 3000,
  },
];

export type Fixture = {
  tenantId: string;
  otherTenantId: string;
  workflows: { alpha: string; beta: string; gamma: string; other: string };
  executions: Record<string, string>;
  otherExecution: string;
  /** e1's batches, steps (by key), events and logs. */
  e1: { batches: string[]; steps: Record<string, string>; events: string[]; logs: string[] };
};

async function createWorkflow(db: Db, tenantId: string, name: string, versions: object[], isActive = true) {
  return db.workflow.create({
    data: {
      tenantId,
      name,
      description: `${name} workflow`,
      isActive,
      version: versions.length,
      createdAt: t(1),
      versions: {
        create: versions.map((definition, i) => ({
          tenantId,
          version: i + 1,
          definition: definition as Prisma.InputJsonValue,
        })),
      },
    },
  });
}

/**
 * Rows written here bypass the engine, which maintains the execution rollup: rebuild it the way
 * the migration's backfill does (only while no engine writes).
 */
export async function rebuildRollup(db: Db): Promise<void> {
  for (const statement of REBUILD_ROLLUP_SQL.split(";").map((s) => s.trim()).filter(Boolean)) {
    await db.$executeRawUnsafe(statement);
  }
}

export async function createFixture(db: Db): Promise<Fixture> {
  const tenant = await ensureDevTenant(db);
  const other = await db.tenant.create({ data: { slug: "other", name: "Other team" } });
  const alpha = await createWorkflow(db, tenant.id, "alpha", [definitionV1, definitionV2]);
  const beta = await createWorkflow(db, tenant.id, "beta", [definitionV1]);
  const gamma = await createWorkflow(db, tenant.id, "gamma", [definitionV1], false);
  const otherWorkflow = await createWorkflow(db, other.id, "alpha", [definitionV1]);

  const ids: Record<string, string> = {};
  for (const spec of executionSpecs) {
    const completedAt =
      spec.started && spec.durationMs != null ? new Date(spec.started.getTime() + spec.durationMs) : null;
    const row = await db.execution.create({
      data: {
        tenantId: tenant.id,
        workflowId: spec.workflow === "alpha" ? alpha.id : beta.id,
        workflowVersion: spec.workflow === "alpha" ? 2 : 1,
        status: spec.status,
        triggerSource: spec.triggerSource,
        triggerEvent: spec.triggerEvent ?? null,
        errorMessage: spec.errorMessage ?? null,
        errorCode: spec.errorMessage ? "STEP_FAILED" : null,
        input: { id: spec.key },
        createdAt: spec.created,
        startedAt: spec.started ?? null,
        completedAt,
        durationMs: spec.durationMs ?? null,
        attempt: spec.key === "e8" ? 2 : 1,
        retryOfId: spec.key === "e8" ? ids.e2 : null,
        // Open runs are held by a worker that never finishes them, so they stay as written: a run
        // that nobody held would be picked up by the engine's sweeper and run to its end.
        ...(spec.status === "PENDING" || spec.status === "RUNNING"
          ? { leaseOwner: "fixture", leaseExpiresAt: new Date("2100-01-01T00:00:00Z") }
          : {}),
      },
    });
    ids[spec.key] = row.id;
  }
  const otherExecution = await db.execution.create({
    data: {
      tenantId: other.id,
      workflowId: otherWorkflow.id,
      workflowVersion: 1,
      status: "COMPLETED",
      createdAt: t(3, 10),
    },
  });

  const e1 = await createRunDetail(db, tenant.id, ids.e1 as string);
  await rebuildRollup(db);
  return {
    tenantId: tenant.id,
    otherTenantId: other.id,
    workflows: { alpha: alpha.id, beta: beta.id, gamma: gamma.id, other: otherWorkflow.id },
    executions: ids,
    otherExecution: otherExecution.id,
    e1,
  };
}

/** e1 ran v2 of alpha: batch 0 = fetch, batch 1 = transform + notify, batch 2 = archive. */
async function createRunDetail(db: Db, tenantId: string, executionId: string) {
  const base = t(1, 9, 1).getTime();
  const at = (ms: number) => new Date(base + ms);
  const batches = await Promise.all(
    [
      [0, 1000],
      [1000, 4000],
      [4000, 5000],
    ].map(([from, to], index) =>
      db.batch.create({
        data: {
          tenantId,
          executionId,
          index,
          status: "COMPLETED",
          startedAt: at(from as number),
          completedAt: at(to as number),
          durationMs: (to as number) - (from as number),
        },
      }),
    ),
  );
  const stepSpecs: {
    key: string;
    type: string;
    batch: number;
    status: StepStatus;
    from: number;
    to: number;
    critical?: boolean;
  }[] = [
    { key: "fetch", type: "http", batch: 0, status: "COMPLETED", from: 0, to: 1000 },
    { key: "transform", type: "transform", batch: 1, status: "COMPLETED", from: 1000, to: 4000 },
    { key: "notify", type: "log", batch: 1, status: "SKIPPED", from: 1000, to: 1000, critical: false },
    { key: "archive", type: "delay", batch: 2, status: "COMPLETED", from: 4000, to: 5000 },
  ];
  const steps: Record<string, string> = {};
  for (const [index, s] of stepSpecs.entries()) {
    const row = await db.step.create({
      data: {
        tenantId,
        executionId,
        batchId: (batches[s.batch] as { id: string }).id,
        key: s.key,
        name: s.key,
        type: s.type,
        index,
        status: s.status,
        critical: s.critical ?? true,
        attempt: s.status === "SKIPPED" ? 0 : 1,
        input: { step: s.key },
        output: s.status === "COMPLETED" ? { ok: true } : undefined,
        branchTaken: s.status === "SKIPPED" ? "else" : null,
        startedAt: at(s.from),
        completedAt: at(s.to),
        durationMs: s.to - s.from,
      },
    });
    steps[s.key] = row.id;
  }
  const eventTypes = [
    "EXECUTION_QUEUED",
    "EXECUTION_STARTED",
    "BATCH_STARTED",
    "STEP_STARTED",
    "STEP_COMPLETED",
  ] as const;
  const events: string[] = [];
  for (const [i, type] of eventTypes.entries()) {
    const row = await db.executionEvent.create({
      data: {
        tenantId,
        executionId,
        sequence: i + 1,
        type,
        at: at(i),
        executionStatus: i === 0 ? "PENDING" : "RUNNING",
        batchId: i >= 2 ? (batches[0] as { id: string }).id : null,
        stepId: i >= 3 ? steps.fetch : null,
      },
    });
    events.push(row.id);
  }
  await db.execution.update({ where: { id: executionId }, data: { lastEventSequence: eventTypes.length } });
  const logs: string[] = [];
  for (const [i, [level, message, key]] of (
    [
      ["INFO", "Requesting https://example.test/e1", "fetch"],
      ["DEBUG", "Response 200 in 812 ms", "fetch"],
      ["WARN", "Slow transform: 3 s", "transform"],
      ["INFO", "Run finished", null],
    ] as const
  ).entries()) {
    const row = await db.logEntry.create({
      data: { tenantId, executionId, stepId: key ? (steps[key] ?? null) : null, level, message, at: at(i * 1000 + 1) },
    });
    logs.push(row.id);
  }
  return { batches: batches.map((b) => b.id), steps, events, logs };
}
