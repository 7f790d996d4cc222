// Per-request DataLoaders for what plugin-prisma's relation batching cannot reach: aggregates
// per parent. Each batch is one SQL statement whatever the page size.
import type { StepStatus } from "@prisma/client";
import DataLoader from "dataloader";
import type { TenantDb } from "../db/tenant-scope.ts";
import { type StatsScope, type StatsSummary, statsSummaries } from "./stats.ts";

export type Progress = {
  totalSteps: number;
  completedSteps: number;
  failedSteps: number;
  skippedSteps: number;
  percent: number;
};

const TERMINAL: ReadonlySet<StepStatus> = new Set(["COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]);

async function loadProgress(db: TenantDb, executionIds: readonly string[]): Promise<Progress[]> {
  const groups = await db.step.groupBy({
    by: ["executionId", "status"],
    where: { executionId: { in: [...executionIds] } },
    _count: { _all: true },
  });
  const byExecution = new Map<string, Progress & { terminal: number }>();
  for (const id of executionIds) {
    byExecution.set(id, { totalSteps: 0, completedSteps: 0, failedSteps: 0, skippedSteps: 0, percent: 0, terminal: 0 });
  }
  for (const g of groups) {
    const p = byExecution.get(g.executionId);
    if (!p) continue;
    const n = g._count._all;
    p.totalSteps += n;
    if (g.status === "COMPLETED") p.completedSteps += n;
    if (g.status === "FAILED") p.failedSteps += n;
    if (g.status === "SKIPPED") p.skippedSteps += n;
    if (TERMINAL.has(g.status)) p.terminal += n;
  }
  return executionIds.map((id) => {
    const { terminal, ...p } = byExecution.get(id) as Progress & { terminal: number };
    return { ...p, percent: p.totalSteps === 0 ? 0 : Math.round((terminal / p.totalSteps) * 10000) / 100 };
  });
}

export function createLoaders(db: TenantDb) {
  return {
    progress: new DataLoader<string, Progress>((ids) => loadProgress(db, ids)),
    statsSummary: new DataLoader<StatsScope, StatsSummary, string>((scopes) => statsSummaries(db, scopes), {
      cacheKeyFn: (s) => JSON.stringify([s.workflowId ?? null, s.from ?? null, s.to ?? null]),
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
