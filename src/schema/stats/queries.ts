import { BadUserInputError } from "../../errors.ts";
import { workflowStatsPage } from "../../services/stats.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { OrderDirectionEnum } from "../enums.ts";
import { decodeOffset, offsetConnection } from "../offset-cursor.ts";
import { assertPageSize, DEFAULT_PAGE_SIZE } from "../page-size.ts";
import { ExecutionStatsRef, StatsFilter, statsScope, WorkflowStats } from "./types.ts";

const WorkflowStatsOrderField = builder.enumType("WorkflowStatsOrderField", {
  description: "What to rank workflows by.",
  values: ["TOTAL", "FAILED", "FAILURE_RATE", "AVG_DURATION", "P95_DURATION"] as const,
});

const WorkflowStatsOrder = builder.inputType("WorkflowStatsOrder", {
  description: "Ranking order; workflows without a value sort last, ties by workflow ID.",
  fields: (t) => ({
    field: t.field({ type: WorkflowStatsOrderField, required: true, description: "The value to rank by." }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: "Ascending or descending." }),
  }),
});

const WorkflowStatsConnection = connectionWithTotalCount("WorkflowStats", WorkflowStats);

// The table is an aggregate re-ranked on every request, so its cursors are positions.
builder.queryFields((t) => ({
  executionStats: t.field({
    type: ExecutionStatsRef,
    description: "Aggregates over the tenant's executions.",
    args: { filter: t.arg({ type: StatsFilter, description: "Which runs to include." }) },
    resolve: (_root, args) => statsScope(args.filter),
  }),
  workflowStats: t.connection(
    {
      type: WorkflowStats,
      description: "Per-workflow statistics as a sortable, paginated table (default: most runs first).",
      args: {
        filter: t.arg({ type: StatsFilter, description: "Which runs to include." }),
        orderBy: t.arg({ type: WorkflowStatsOrder, description: "Ranking; default TOTAL DESC." }),
      },
      resolve: async (_root, args, ctx) => {
        assertPageSize(args);
        if (args.last != null || args.before != null) {
          throw new BadUserInputError("workflowStats pages forwards only: use first/after");
        }
        const offset = args.after ? decodeOffset(args.after) + 1 : 0;
        const limit = args.first ?? DEFAULT_PAGE_SIZE;
        const { rows, totalCount } = await workflowStatsPage(
          ctx.db,
          statsScope(args.filter),
          args.orderBy ?? { field: "TOTAL", direction: "desc" },
          { offset, limit },
        );
        return offsetConnection(rows, offset, totalCount);
      },
    },
    WorkflowStatsConnection,
  ),
}));
