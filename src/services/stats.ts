// Execution statistics, computed in SQL (aggregates, never rows loaded into JavaScript). Every
// function takes a StatsScope; see stats/scope.ts for the shared counting conventions
// (failed = FAILED only; finished = every terminal status).
export { type DailyCount, dailyCounts } from "./stats/daily-counts.ts";
export { type FailingStep, failingSteps } from "./stats/failing-steps.ts";
export type { StatsScope, WorkflowStatsRow } from "./stats/scope.ts";
export { type StatsSummary, statsSummaries } from "./stats/summaries.ts";
export {
  topWorkflows,
  type WorkflowStatsOrder,
  type WorkflowStatsOrderField,
  type WorkflowStatsPage,
  workflowStatsPage,
} from "./stats/workflows.ts";
