import type { Workflow as WorkflowRow } from "@prisma/client";
import type { Context } from "../../context.ts";
import type { ExecutionRow } from "../../read/execution-page.ts";
import type { ExecutionPayload } from "../../read/fallbacks.ts";
import { type Progress, toProgress } from "../../read/progress.ts";
import { cursorOfSnapshot } from "../../read/list-changes/cursor.ts";
import { BatchConnection } from "../batch/types.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { ExecutionStatusEnum, TriggerSourceEnum } from "../enums.ts";
import { ExecutionEventConnection } from "../event/types.ts";
import { encodeGlobalId } from "../global-id.ts";
import { LogEntryConnection, LogFilter, logWhere } from "../log/types.ts";
import { pageSizeOptions } from "../page-size.ts";
import { stepPage } from "../step/page.ts";
import { Step, StepConnection, StepFilter } from "../step/types.ts";
import { Workflow } from "../workflow/types.ts";
import { WorkflowVersion } from "../workflow/version.ts";
import { Actor, actorOf } from "../actor/types.ts";
import type { Actor as ActorValue } from "../../engine/events.ts";

const ExecutionError = builder
  .objectRef<{ message: string; code: string | null; stepId: string | null }>("ExecutionError")
  .implement({
    description: "Why an execution failed, timed out or was cancelled.",
    fields: (t) => ({
      message: t.exposeString("message", { description: "Human-readable reason." }),
      code: t.exposeString("code", { nullable: true, description: "Stable code, e.g. TIMEOUT or STEP_FAILED." }),
      stepId: t.field({
        type: "ID",
        nullable: true,
        description: "Global ID of the step that caused it, if one did.",
        resolve: (e) => (e.stepId ? encodeGlobalId("Step", e.stepId) : null),
      }),
    }),
  });

const ExecutionProgress = builder.objectRef<Progress>("ExecutionProgress").implement({
  description: "How far a run has come. percent counts every terminal step (completed, failed, skipped, cancelled).",
  fields: (t) => ({
    totalSteps: t.exposeInt("totalSteps", { description: "Steps in this run." }),
    completedSteps: t.exposeInt("completedSteps", { description: "Steps that COMPLETED." }),
    failedSteps: t.exposeInt("failedSteps", { description: "Steps that FAILED." }),
    skippedSteps: t.exposeInt("skippedSteps", { description: "Steps that were SKIPPED." }),
    percent: t.exposeFloat("percent", { description: "0 to 100." }),
  }),
});

/** What the executions statement preloaded on a row (read/execution-page.ts); absent on rows Prisma read. */
type Preloaded = Pick<ExecutionRow, "$workflow" | "$progress" | "$steps">;
const preloaded = (e: object) => e as Preloaded;

/** A large column: on the row when whoever read it selected it, else loaded by id. */
function payload(key: keyof ExecutionPayload) {
  return (e: { id: string }, _args: unknown, ctx: Context) => {
    const value = (e as Partial<ExecutionPayload>)[key];
    return value !== undefined ? value : ctx.loaders.executionPayload.load(e.id).then((p) => p[key]);
  };
}

export const Execution = builder.prismaNode("Execution", {
  description: "One run of a workflow.",
  // Select mode, with every small column in the type's own select: the fields below are plain
  // resolvers, so a row of the executions statement (read/) resolves without plugin-prisma's
  // per-field bookkeeping, and input/output (large JSON) are read only when selected.
  select: {
    id: true,
    workflowId: true,
    workflowVersion: true,
    status: true,
    triggerSource: true,
    triggerEvent: true,
    errorMessage: true,
    errorCode: true,
    errorStepId: true,
    attempt: true,
    retryOfId: true,
    nextRetryAt: true,
    idempotencyKey: true,
    externalId: true,
    startedByKind: true,
    startedById: true,
    startedByName: true,
    cancelReason: true,
    cancelledBy: true,
    cancelledByKind: true,
    cancelledByName: true,
    createdAt: true,
    startedAt: true,
    completedAt: true,
    durationMs: true,
  },
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    workflowVersion: t.int({ description: "The workflow version this run used.", resolve: (e) => e.workflowVersion }),
    status: t.field({ type: ExecutionStatusEnum, description: "Current status.", resolve: (e) => e.status }),
    triggerSource: t.field({
      type: TriggerSourceEnum,
      description: "What started the run.",
      resolve: (e) => e.triggerSource,
    }),
    triggerEvent: t.string({
      nullable: true,
      description: "Name of the triggering event.",
      resolve: (e) => e.triggerEvent,
    }),
    input: t.field({
      type: "JSON",
      nullable: true,
      description: "Trigger data the run started with.",
      resolve: payload("input"),
    }),
    output: t.field({
      type: "JSON",
      nullable: true,
      description: "What the run produced.",
      resolve: payload("output"),
    }),
    context: t.field({
      type: "JSON",
      nullable: true,
      description: "The run's context: the keys its set_context steps wrote so far ({} when none), read as {{context.key}}.",
      resolve: payload("context"),
    }),
    error: t.field({
      type: ExecutionError,
      nullable: true,
      description: "Set when the run failed, timed out or was cancelled.",
      resolve: (e) => (e.errorMessage ? { message: e.errorMessage, code: e.errorCode, stepId: e.errorStepId } : null),
    }),
    attempt: t.int({
      description: "1 for the first run; a retry is a new execution with attempt + 1.",
      resolve: (e) => e.attempt,
    }),
    retryOf: t.relation("retryOf", { nullable: true, description: "The execution this one retries." }),
    nextRetryAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "Set while an automatic retry is scheduled.",
      resolve: (e) => e.nextRetryAt,
    }),
    idempotencyKey: t.string({
      nullable: true,
      description: "The key it was started with.",
      resolve: (e) => e.idempotencyKey,
    }),
    externalId: t.string({
      nullable: true,
      description: "The id of this run in the system that caused it, as given to startExecution or emitEvent.",
      resolve: (e) => e.externalId,
    }),
    startedBy: t.field({
      type: Actor,
      description: "Who started the run: the credentials of the request, or SYSTEM (schedule, automatic retry).",
      resolve: (e) => actorOf(e.startedByKind, e.startedById, e.startedByName) as ActorValue,
    }),
    cancelledBy: t.field({
      type: Actor,
      nullable: true,
      description: "Who cancelled the run; null unless it was cancelled.",
      resolve: (e) => actorOf(e.cancelledByKind, e.cancelledBy, e.cancelledByName),
    }),
    cancelReason: t.string({
      nullable: true,
      description: "Why it was cancelled, as given to cancelExecution.",
      resolve: (e) => e.cancelReason,
    }),
    createdAt: t.field({ type: "DateTime", description: "When the run was queued.", resolve: (e) => e.createdAt }),
    startedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it started running.",
      resolve: (e) => e.startedAt,
    }),
    completedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it finished.",
      resolve: (e) => e.completedAt,
    }),
    durationMs: t.int({
      nullable: true,
      description: "completedAt - startedAt, once finished.",
      resolve: (e) => e.durationMs,
    }),
    progress: t.field({
      type: ExecutionProgress,
      description: "Step counts so far.",
      resolve: (e, _args, ctx) => {
        const counts = preloaded(e).$progress;
        return counts ? toProgress(counts) : ctx.loaders.progress.load(e.id);
      },
    }),
    currentSteps: t.relation("steps", {
      description: "Steps RUNNING right now.",
      query: { where: { status: "RUNNING" }, orderBy: { index: "asc" } },
    }),
    batches: t.relatedConnection(
      "batches",
      {
        description: "Batches in order.",
        cursor: "id",
        totalCount: true,
        query: { orderBy: { index: "asc" } },
        ...pageSizeOptions,
      },
      BatchConnection,
    ),
    steps: t.connection(
      {
        type: Step,
        description: "Steps in definition order.",
        args: { filter: t.arg({ type: StepFilter, description: "Narrows the steps." }) },
        resolve: (e, args, ctx, info) => stepPage(e, args, ctx, info),
      },
      StepConnection,
    ),
    events: t.relatedConnection(
      "events",
      {
        description: "The persisted event log, by sequence.",
        cursor: "id",
        totalCount: true,
        query: { orderBy: { sequence: "asc" } },
        ...pageSizeOptions,
      },
      ExecutionEventConnection,
    ),
    logs: t.relatedConnection(
      "logs",
      {
        description: "Log entries of the run, oldest first.",
        cursor: "id",
        totalCount: true,
        args: { filter: t.arg({ type: LogFilter, description: "Narrows the entries." }) },
        query: (args) => ({ where: logWhere(args.filter), orderBy: [{ at: "asc" }, { id: "asc" }] }),
        ...pageSizeOptions,
      },
      LogEntryConnection,
    ),
  }),
});

export const ExecutionConnection = connectionWithTotalCount("Execution", Execution);

builder.objectField(ExecutionConnection, "changesCursor", (t) =>
  t.string({
    description:
      "Where executionListChanges continues this list: subscribe with `after` set to it, and no change after the " +
      "list was read is lost or delivered twice. Exact on Query.executions and Workflow.executions (read in the " +
      "statement that read the rows); on Execution.retries it is taken when this field resolves, after the rows.",
    resolve: async (connection, _args, ctx) => {
      const own = (connection as { changesCursor?: string | null }).changesCursor;
      if (own) return own;
      const [row] = await ctx.db.$queryRaw<{ snapshot: string; nowMs: number }[]>`
        SELECT pg_current_snapshot()::text AS snapshot,
          (extract(epoch from statement_timestamp()) * 1000)::float8 AS "nowMs"`;
      const { snapshot, nowMs } = row as { snapshot: string; nowMs: number };
      return cursorOfSnapshot(snapshot, nowMs);
    },
  }),
);

// Added here rather than in the fields above: referring to ExecutionConnection inside
// Execution's own initializer would make TypeScript's inference circular.
builder.prismaObjectField(Execution, "retries", (t) =>
  t.relatedConnection(
    "retries",
    {
      description: "Executions that retry this one, oldest first.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      ...pageSizeOptions,
    },
    ExecutionConnection,
  ),
);

// Also added here: Workflow's own fields refer to Execution, which would make the inference circular.
builder.prismaObjectField(Execution, "workflow", (t) =>
  t.field({
    type: Workflow,
    description: "The workflow that ran.",
    resolve: (e, _args, ctx) =>
      (preloaded(e).$workflow as WorkflowRow | undefined) ?? ctx.loaders.workflow.load(e.workflowId),
  }),
);

builder.prismaObjectField(Execution, "definition", (t) =>
  t.field({
    type: WorkflowVersion,
    description: "The exact workflow version this run ran (workflowVersion), definition included.",
    resolve: (e, _args, ctx) => ctx.loaders.workflowVersion.load([e.workflowId, e.workflowVersion]),
  }),
);
