import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { ExecutionFilter, ExecutionOrder, executionFilter } from "../execution/filter.ts";
import { DEFAULT_ORDER, executionPage } from "../execution/page.ts";
import { Execution, ExecutionConnection } from "../execution/types.ts";
import { ExecutionStatsRef, StatsFilter, statsScope } from "../stats/types.ts";

export const Workflow = builder.prismaNode("Workflow", {
  description:
    "A workflow definition: steps (actions) and their dependencies. Each change of definition is a new version.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique within the tenant." }),
    description: t.exposeString("description", { nullable: true, description: "Free text." }),
    version: t.exposeInt("version", {
      description: "The current version; bumps on every definition change. Runs keep the version they ran.",
    }),
    definition: t.field({
      type: "JSON",
      description: 'The current version\'s definition (see "Workflow definition" in the README).',
      select: { versions: { orderBy: { version: "desc" }, take: 1, select: { definition: true } } },
      resolve: (workflow) => workflow.versions[0]?.definition ?? null,
    }),
    isActive: t.exposeBoolean("isActive", { description: "Inactive workflows cannot be started." }),
    triggerEvent: t.exposeString("triggerEvent", {
      nullable: true,
      description: "The event name the current version listens to (`trigger.event`): emitEvent starts it.",
    }),
    schedule: t.expose("schedule", {
      type: "JSON",
      nullable: true,
      description: 'The current definition\'s trigger.schedule, { cron, timezone }; null without one (README "Schedules").',
    }),
    nextRunAt: t.expose("nextRunAt", {
      type: "DateTime",
      nullable: true,
      description: "When the schedule next starts a run; null without a schedule or while the workflow is inactive.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the workflow was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When the workflow last changed." }),
    lastExecutedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When its newest run was created; null when it never ran.",
      resolve: (workflow, _args, ctx) => ctx.loaders.lastExecutedAt.load(workflow.id),
    }),
    executions: t.connection(
      {
        type: Execution,
        description: "Runs of this workflow, newest first unless ordered otherwise.",
        args: {
          filter: t.arg({ type: ExecutionFilter, description: "Narrows the runs (its workflowId is ignored)." }),
          orderBy: t.arg({ type: ExecutionOrder, description: "Sort order; default CREATED_AT DESC." }),
        },
        resolve: (workflow, args, ctx, info) =>
          executionPage(ctx, info, {
            filter: { ...executionFilter({ ...args.filter, workflowId: null }), workflowId: workflow.id },
            order: args.orderBy ?? DEFAULT_ORDER,
            args,
          }),
      },
      ExecutionConnection,
    ),
    stats: t.field({
      type: ExecutionStatsRef,
      description: "Statistics of this workflow's runs.",
      args: { filter: t.arg({ type: StatsFilter, description: "Time range (its workflowId is ignored)." }) },
      resolve: (workflow, args) => ({ ...statsScope(args.filter), workflowId: workflow.id }),
    }),
  }),
});

export const WorkflowConnection = connectionWithTotalCount("Workflow", Workflow);
