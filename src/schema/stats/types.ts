import type { Context } from "../../context.ts";
import {
  dailyCounts,
  failingSteps,
  type StatsScope,
  topWorkflows,
  type WorkflowStatsRow,
} from "../../services/stats.ts";
import { builder } from "../builder.ts";
import { ExecutionStatusEnum } from "../enums.ts";
import { decodeIdOf } from "../global-id.ts";

export const StatsFilter = builder.inputType("StatsFilter", {
  description: "Which executions statistics cover.",
  fields: (t) => ({
    workflowId: t.id({ description: "Only runs of this workflow." }),
    from: t.field({ type: "DateTime", description: "Runs created at or after this instant." }),
    to: t.field({ type: "DateTime", description: "Runs created strictly before this instant." }),
  }),
});

export function statsScope(filter?: typeof StatsFilter.$inferInput | null): StatsScope {
  return {
    workflowId: filter?.workflowId != null ? decodeIdOf("Workflow", String(filter.workflowId)) : null,
    from: filter?.from ?? null,
    to: filter?.to ?? null,
  };
}

const StatusCount = builder
  .objectRef<{ status: StatusName; count: number; avgDurationMs: number | null }>("StatusCount")
  .implement({
    description: "How many runs have one status.",
    fields: (t) => ({
      status: t.expose("status", { type: ExecutionStatusEnum, description: "The status." }),
      count: t.exposeInt("count", { description: "Runs with it." }),
      avgDurationMs: t.exposeFloat("avgDurationMs", {
        nullable: true,
        description: "Mean duration of the runs with that status that have one (finished runs); null when none.",
      }),
    }),
  });
type StatusName = typeof ExecutionStatusEnum.$inferType;

const DailyCount = builder
  .objectRef<{ date: string; total: number; completed: number; failed: number; cancelled: number }>("DailyCount")
  .implement({
    description: "Runs created on one UTC day.",
    fields: (t) => ({
      date: t.exposeString("date", { description: "The UTC day, YYYY-MM-DD." }),
      total: t.exposeInt("total", { description: "Runs created that day." }),
      completed: t.exposeInt("completed", { description: "Of those, COMPLETED." }),
      failed: t.exposeInt("failed", { description: "Of those, FAILED." }),
      cancelled: t.exposeInt("cancelled", { description: "Of those, CANCELLED." }),
    }),
  });

export const WorkflowStats = builder.objectRef<WorkflowStatsRow>("WorkflowStats").implement({
  description: "Statistics of one workflow's runs.",
  fields: (t) => ({
    workflow: t.prismaField({
      type: "Workflow",
      description: "The workflow.",
      resolve: (query, row, _args, ctx) =>
        ctx.db.workflow.findUniqueOrThrow({ ...query, where: { id: row.workflowId } }),
    }),
    total: t.exposeInt("total", { description: "Runs in scope." }),
    completed: t.exposeInt("completed", { description: "Runs that COMPLETED." }),
    failed: t.exposeInt("failed", { description: "Runs that FAILED." }),
    successRate: t.exposeFloat("successRate", {
      nullable: true,
      description: "completed / finished, 0 to 1; null when none finished.",
    }),
    failureRate: t.exposeFloat("failureRate", {
      nullable: true,
      description: "failed / finished, 0 to 1 (what FAILURE_RATE orders by); null when none finished.",
    }),
    avgDurationMs: t.exposeFloat("avgDurationMs", { nullable: true, description: "Mean duration of finished runs." }),
    p95DurationMs: t.exposeFloat("p95DurationMs", { nullable: true, description: "95th percentile duration." }),
  }),
});

const StepTypeStats = builder.objectRef<Awaited<ReturnType<typeof failingSteps>>[number]>("StepTypeStats").implement({
  description: "How one action (type and step key) fares across runs; counts steps that COMPLETED or FAILED.",
  fields: (t) => ({
    type: t.exposeString("type", { description: "Action type." }),
    key: t.exposeString("key", { nullable: true, description: "Step id in the definition." }),
    total: t.exposeInt("total", { description: "Finished steps." }),
    failed: t.exposeInt("failed", { description: "Of those, FAILED." }),
    failureRate: t.exposeFloat("failureRate", { description: "failed / total, 0 to 1." }),
    avgDurationMs: t.exposeFloat("avgDurationMs", { nullable: true, description: "Mean step duration." }),
    p95DurationMs: t.exposeFloat("p95DurationMs", { nullable: true, description: "95th percentile step duration." }),
  }),
});

export const ExecutionStatsRef = builder.objectRef<StatsScope>("ExecutionStats").implement({
  description: "Aggregates over the executions in scope, computed in SQL.",
  fields: (t) => {
    const summary = (scope: StatsScope, ctx: Context) => ctx.loaders.statsSummary.load(scope);
    return {
      total: t.int({ description: "Runs in scope.", resolve: async (s, _a, ctx) => (await summary(s, ctx)).total }),
      byStatus: t.field({
        type: [StatusCount],
        description: "Runs per status, every status listed (0 when none).",
        resolve: async (s, _a, ctx) => (await summary(s, ctx)).byStatus,
      }),
      successRate: t.float({
        nullable: true,
        description: "completed / finished, 0 to 1; null when nothing finished.",
        resolve: async (s, _a, ctx) => (await summary(s, ctx)).successRate,
      }),
      avgDurationMs: t.float({
        nullable: true,
        description: "Mean duration of finished runs.",
        resolve: async (s, _a, ctx) => (await summary(s, ctx)).avgDurationMs,
      }),
      p50DurationMs: t.float({
        nullable: true,
        description: "Median duration of finished runs.",
        resolve: async (s, _a, ctx) => (await summary(s, ctx)).p50DurationMs,
      }),
      p95DurationMs: t.float({
        nullable: true,
        description: "95th percentile duration of finished runs.",
        resolve: async (s, _a, ctx) => (await summary(s, ctx)).p95DurationMs,
      }),
      daily: t.field({
        type: [DailyCount],
        description: "Runs per UTC day for the last `days` days (1 to 366), oldest first, days without runs included.",
        args: { days: t.arg.int({ defaultValue: 30, description: "How many days." }) },
        resolve: (s, args, ctx) => dailyCounts(ctx.db, s, args.days ?? 30),
      }),
      topWorkflows: t.field({
        type: [WorkflowStats],
        description: "The workflows with the most runs (1 to 100).",
        args: { limit: t.arg.int({ defaultValue: 10, description: "How many." }) },
        resolve: (s, args, ctx) => topWorkflows(ctx.db, s, args.limit ?? 10),
      }),
      failingSteps: t.field({
        type: [StepTypeStats],
        description: "Which actions fail most often (1 to 100).",
        args: { limit: t.arg.int({ defaultValue: 10, description: "How many." }) },
        resolve: (s, args, ctx) => failingSteps(ctx.db, s, args.limit ?? 10),
      }),
    };
  },
});
