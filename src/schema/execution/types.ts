import { cursorOfSnapshot } from "../../read/list-changes/cursor.ts";
import type { Progress } from "../../services/loaders.ts";
import { BatchConnection } from "../batch/types.ts";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { ExecutionStatusEnum, TriggerSourceEnum } from "../enums.ts";
import { ExecutionEventConnection } from "../event/types.ts";
import { encodeGlobalId } from "../global-id.ts";
import { LogEntryConnection, LogFilter, logWhere } from "../log/types.ts";
import { pageSizeOptions } from "../page-size.ts";
import { StepConnection, StepFilter, stepWhere } from "../step/types.ts";

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

export const Execution = builder.prismaNode("Execution", {
  description: "One run of a workflow.",
  // Select mode: a query loads only the columns its fields need (input/output JSON are large).
  select: { id: true },
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    workflow: t.relation("workflow", { description: "The workflow that ran." }),
    workflowVersion: t.exposeInt("workflowVersion", { description: "The workflow version this run used." }),
    status: t.expose("status", { type: ExecutionStatusEnum, description: "Current status." }),
    triggerSource: t.expose("triggerSource", { type: TriggerSourceEnum, description: "What started the run." }),
    triggerEvent: t.exposeString("triggerEvent", { nullable: true, description: "Name of the triggering event." }),
    input: t.expose("input", { type: "JSON", nullable: true, description: "Trigger data the run started with." }),
    output: t.expose("output", { type: "JSON", nullable: true, description: "What the run produced." }),
    error: t.field({
      type: ExecutionError,
      nullable: true,
      description: "Set when the run failed, timed out or was cancelled.",
      select: { errorMessage: true, errorCode: true, errorStepId: true },
      resolve: (e) => (e.errorMessage ? { message: e.errorMessage, code: e.errorCode, stepId: e.errorStepId } : null),
    }),
    attempt: t.exposeInt("attempt", {
      description: "1 for the first run; a retry is a new execution with attempt + 1.",
    }),
    retryOf: t.relation("retryOf", { nullable: true, description: "The execution this one retries." }),
    nextRetryAt: t.expose("nextRetryAt", {
      type: "DateTime",
      nullable: true,
      description: "Set while an automatic retry is scheduled.",
    }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true, description: "The key it was started with." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the run was queued." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true, description: "When it started running." }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When it finished." }),
    durationMs: t.exposeInt("durationMs", { nullable: true, description: "completedAt - startedAt, once finished." }),
    progress: t.field({
      type: ExecutionProgress,
      description: "Step counts so far.",
      resolve: (e, _args, ctx) => ctx.loaders.progress.load(e.id),
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
    steps: t.relatedConnection(
      "steps",
      {
        description: "Steps in definition order.",
        cursor: "id",
        totalCount: true,
        args: { filter: t.arg({ type: StepFilter, description: "Narrows the steps." }) },
        query: (args) => ({ where: stepWhere(args.filter), orderBy: { index: "asc" } }),
        ...pageSizeOptions,
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
      "list was read is lost or delivered twice. Exact on Query.executions (read at the list's own snapshot); on " +
      "nested connections it is taken when this field resolves, after the rows: use Query.executions for live lists.",
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
