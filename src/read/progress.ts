// How far a run has come: step counts by status. Loaded in batches (one statement per batch of
// executions) or as a column of the executions page (progressSql).
import type { StepStatus } from "@prisma/client";
import type { TenantDb } from "../db/tenant-scope.ts";

export type Progress = {
  totalSteps: number;
  completedSteps: number;
  failedSteps: number;
  skippedSteps: number;
  /** 0 to 100: every terminal step counts (completed, failed, skipped, cancelled). */
  percent: number;
};

/** The counts PostgreSQL returns; `terminal` becomes `percent` in JS, rounded the one way. */
export type ProgressCounts = { total: number; completed: number; failed: number; skipped: number; terminal: number };

const TERMINAL: ReadonlySet<StepStatus> = new Set(["COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]);

export function toProgress({ total, completed, failed, skipped, terminal }: ProgressCounts): Progress {
  return {
    totalSteps: total,
    completedSteps: completed,
    failedSteps: failed,
    skippedSteps: skipped,
    percent: total === 0 ? 0 : Math.round((terminal / total) * 10000) / 100,
  };
}

/** Each of ProgressCounts as an aggregate over the steps `s`. */
const COUNTS: Record<keyof ProgressCounts, string> = {
  total: "count(*)",
  completed: "count(*) FILTER (WHERE s.status = 'COMPLETED')",
  failed: "count(*) FILTER (WHERE s.status = 'FAILED')",
  skipped: "count(*) FILTER (WHERE s.status = 'SKIPPED')",
  terminal: "count(*) FILTER (WHERE s.status IN ('COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED'))",
};

const stepsOf = (executionId: string, tenant: string) =>
  `FROM "Step" s WHERE s."executionId" = ${executionId} AND s."tenantId" = ${tenant}::uuid`;

/** A JSON object of ProgressCounts for the execution `executionId` (an SQL expression). */
export function progressSql(executionId: string, tenant: string): string {
  const pairs = Object.entries(COUNTS).map(([key, count]) => `'${key}', ${count}`);
  return `(SELECT json_build_object(${pairs.join(", ")}) ${stepsOf(executionId, tenant)})`;
}

/** One row of ProgressCounts (columns total, completed, …) for the execution `executionId`. */
export function progressCountsSql(executionId: string, tenant: string): string {
  const columns = Object.entries(COUNTS).map(([key, count]) => `${count} AS ${key}`);
  return `SELECT ${columns.join(", ")} ${stepsOf(executionId, tenant)}`;
}

export async function loadProgress(db: TenantDb, executionIds: readonly string[]): Promise<Progress[]> {
  const groups = await db.step.groupBy({
    by: ["executionId", "status"],
    where: { executionId: { in: [...executionIds] } },
    _count: { _all: true },
  });
  const byExecution = new Map<string, ProgressCounts>();
  for (const id of executionIds) byExecution.set(id, { total: 0, completed: 0, failed: 0, skipped: 0, terminal: 0 });
  for (const g of groups) {
    const p = byExecution.get(g.executionId);
    if (!p) continue;
    const n = g._count._all;
    p.total += n;
    if (g.status === "COMPLETED") p.completed += n;
    if (g.status === "FAILED") p.failed += n;
    if (g.status === "SKIPPED") p.skipped += n;
    if (TERMINAL.has(g.status)) p.terminal += n;
  }
  return executionIds.map((id) => toProgress(byExecution.get(id) as ProgressCounts));
}
