// Per-request DataLoaders for what plugin-prisma's relation batching cannot reach: aggregates
// per parent, and the columns a row read elsewhere left out (read/fallbacks.ts). Each batch is one
// SQL statement whatever the page size.
import DataLoader from "dataloader";
import type { TenantDb } from "../db/tenant-scope.ts";
import { loadExecutionPayloads, loadStepPayloads, loadWorkflows } from "../read/fallbacks.ts";
import { loadLastExecutedAt } from "../read/last-executed.ts";
import { loadProgress, type Progress } from "../read/progress.ts";
import { type StatsScope, type StatsSummary, statsSummaries } from "./stats.ts";

export function createLoaders(db: TenantDb) {
  return {
    progress: new DataLoader<string, Progress>((ids) => loadProgress(db, ids)),
    executionPayload: new DataLoader((ids: readonly string[]) => loadExecutionPayloads(db, ids)),
    stepPayload: new DataLoader((ids: readonly string[]) => loadStepPayloads(db, ids)),
    workflow: new DataLoader((ids: readonly string[]) => loadWorkflows(db, ids)),
    lastExecutedAt: new DataLoader((ids: readonly string[]) => loadLastExecutedAt(db, ids)),
    statsSummary: new DataLoader<StatsScope, StatsSummary, string>((scopes) => statsSummaries(db, scopes), {
      cacheKeyFn: (s) => JSON.stringify([s.workflowId ?? null, s.from ?? null, s.to ?? null]),
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
