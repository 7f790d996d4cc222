// The Store on `pg`: the hot path of a running execution in as few statements as SQL allows.
// A commit is ONE statement (data-modifying CTEs): the execution row is updated under its guard
// (this worker's lease, still open, the event sequence unchanged), and every other change joins
// that row, so a refused guard writes nothing at all. Measured reasons are in BENCHMARKS.md.
import { type ExecutionStatus, isFinishedExecution, type Json } from "../events.ts";
import type { BatchState, RunState, StepState } from "../run-state.ts";
import { planCancel } from "../transitions/cancel.ts";
import { insertExecutionChanges, PRUNE_CHANGES } from "./change-log.ts";
import { eventRows, insertEvents, toRecord } from "./event-rows.ts";
import { pauseRun, resumeRun } from "./pause.ts";
import { changedDeltas, changedStepDeltas, compactSql, createdDeltas, createdStepDeltas } from "./rollup.ts";
import type { JobSql, Session, SqlRunner } from "./sql.ts";
import type {
  CancelResult,
  CreateResult,
  EmitResult,
  NewExecution,
  RunCommit,
  SystemStore,
  TenantStore,
  WorkflowHead,
} from "./store.ts";

export type PgStoreOptions = { sql: SqlRunner; jobs: JobSql };

type PendingCommit = { owner: string; change: RunCommit; resolve: (ok: boolean) => void; reject: (error: unknown) => void };

/** Commits per statement at most; more wait for the next turn (a statement's JSON stays small). */
const MAX_GROUP = 64;

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));

const CLAIM = `/* engine:claim */
  WITH claimed AS (
    UPDATE "Execution" SET "leaseOwner" = $3, "leaseExpiresAt" = now() + $4 * interval '1 millisecond'
    WHERE id = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')
      AND ("leaseOwner" IS NULL OR "leaseOwner" = $3 OR "leaseExpiresAt" < now())
    RETURNING id, "tenantId", "workflowId", "workflowVersion", attempt, input, status::text AS status, "startedAt",
      "completedAt", "durationMs", output, "errorMessage", "errorCode", "errorStepId", "nextRetryAt", "lastEventSequence",
      context, "pausedAt", "pausedMs", "pauseRequestedAt", "pauseReason", "pausedBy"
  )
  SELECT c.*, w.name AS "workflowName", v.definition,
    (SELECT coalesce(json_agg(b ORDER BY b.index), '[]') FROM (
       SELECT id, index, status, "startedAt", "completedAt", "durationMs" FROM "Batch"
       WHERE "executionId" = c.id AND "tenantId" = $2::uuid) b) AS batches,
    (SELECT coalesce(json_agg(s ORDER BY s.index), '[]') FROM (
       SELECT id, key, "batchId", index, type, critical, status, attempt, "workerLosses", input, output, error,
         "errorCode", "branchTaken", "wakeAt", "startedAt", "completedAt", "durationMs"
       FROM "Step" WHERE "executionId" = c.id AND "tenantId" = $2::uuid) s) AS steps
  FROM claimed c
  JOIN "Workflow" w ON w.id = c."workflowId" AND w."tenantId" = $2::uuid
  LEFT JOIN "WorkflowVersion" v ON v."workflowId" = c."workflowId" AND v.version = c."workflowVersion"`;

const STEP_COLUMNS = `id uuid, "expectedAttempt" int, status "StepStatus", attempt int, "workerLosses" int, input jsonb,
  output jsonb, error text, "errorCode" text, "branchTaken" text, "wakeAt" timestamptz, "startedAt" timestamptz,
  "completedAt" timestamptz, "durationMs" int`;
const BATCH_COLUMNS = `id uuid, status "StepStatus", "startedAt" timestamptz, "completedAt" timestamptz, "durationMs" int`;
const LOG_COLUMNS = `"stepId" uuid, level "LogLevel", message text, data jsonb, at timestamptz`;

const EXECUTION_COLUMNS = `id uuid, owner text, "expectedSequence" int, status "ExecutionStatus", "startedAt" timestamptz,
  "completedAt" timestamptz, "durationMs" int, output jsonb, "errorMessage" text, "errorCode" text, "errorStepId" uuid,
  "nextRetryAt" timestamptz, "lastEventSequence" int, release boolean, "reservedUntil" timestamptz, "wakeAt" timestamptz,
  "retryAt" timestamptz, "stepCount" int, context jsonb, "pausedAt" timestamptz`;

/**
 * The commits of several runs in one statement (group commit): each run keeps its own guard, so a
 * refused run writes nothing and the others go through. Returns the runs that committed.
 */
function commitSql(jobs: JobSql) {
  return `/* engine:commit */
  WITH r AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(${EXECUTION_COLUMNS})
  ), prev AS (
    -- The values before this commit, as the statement's snapshot has them. Exact: a run's commits
    -- are sent one after the other, and anyone else's change in between (a cancel) bumps
    -- lastEventSequence, so x refuses the run and no change row is written.
    SELECT e.id, e.status, e."errorMessage" FROM "Execution" e JOIN r ON r.id = e.id WHERE e."tenantId" = $1::uuid
  ), x AS (
    UPDATE "Execution" e SET status = r.status, "startedAt" = r."startedAt", "completedAt" = r."completedAt",
      "durationMs" = r."durationMs", output = r.output, "errorMessage" = r."errorMessage", "errorCode" = r."errorCode",
      "errorStepId" = r."errorStepId", "nextRetryAt" = r."nextRetryAt", "lastEventSequence" = r."lastEventSequence",
      context = r.context, "pausedAt" = r."pausedAt",
      -- A pause request is done once the run paused (or ended before it could).
      "pauseRequestedAt" = CASE WHEN r.status IN ('PENDING', 'RUNNING') THEN e."pauseRequestedAt" END,
      "leaseOwner" = CASE WHEN r.release THEN NULL ELSE e."leaseOwner" END,
      "leaseExpiresAt" = CASE WHEN r.release THEN r."reservedUntil" ELSE e."leaseExpiresAt" END
    FROM r
    WHERE e.id = r.id AND e."tenantId" = $1::uuid AND e."leaseOwner" = r.owner AND e.status IN ('PENDING', 'RUNNING')
      AND e."lastEventSequence" = r."expectedSequence"
    RETURNING e.id, e."tenantId", e.status, e."errorMessage"
  ), ch AS (${insertExecutionChanges({
    from: "x JOIN prev ON prev.id = x.id",
    tenant: 'x."tenantId"',
    execution: "x.id",
    previousStatus: "prev.status",
    previousErrorMessage: 'prev."errorMessage"',
    status: "x.status",
    errorMessage: 'x."errorMessage"',
  })}
  ), s AS (
    UPDATE "Step" t SET status = st.status, attempt = st.attempt, "workerLosses" = st."workerLosses", input = st.input,
      output = st.output, error = st.error, "errorCode" = st."errorCode", "branchTaken" = st."branchTaken",
      "wakeAt" = st."wakeAt", "startedAt" = st."startedAt", "completedAt" = st."completedAt", "durationMs" = st."durationMs"
    FROM x, jsonb_to_recordset($3::jsonb) AS st(${STEP_COLUMNS}, "executionId" uuid)
    WHERE t.id = st.id AND st."executionId" = x.id AND t."executionId" = x.id AND t."tenantId" = x."tenantId"
      AND t.attempt = st."expectedAttempt"
    RETURNING t."executionId", t.id, t.status, t."durationMs"
  ), b AS (
    UPDATE "Batch" t SET status = bt.status, "startedAt" = bt."startedAt", "completedAt" = bt."completedAt",
      "durationMs" = bt."durationMs"
    FROM x, jsonb_to_recordset($4::jsonb) AS bt(${BATCH_COLUMNS}, "executionId" uuid)
    WHERE t.id = bt.id AND bt."executionId" = x.id AND t."executionId" = x.id AND t."tenantId" = x."tenantId"
    RETURNING t.id
  ), ev AS (${insertEvents("$5")}
  ), lg AS (
    INSERT INTO "LogEntry" ("tenantId", "executionId", "stepId", level, message, data, at)
    SELECT x."tenantId", x.id, l."stepId", l.level, l.message, l.data, l.at
    FROM x JOIN jsonb_to_recordset($6::jsonb) AS l(${LOG_COLUMNS}, "executionId" uuid) ON l."executionId" = x.id
  ), rd AS (${changedDeltas(`x JOIN r ON r.id = x.id JOIN "Execution" o ON o.id = x.id AND o."tenantId" = x."tenantId"`, {
    status: "r.status",
    durationMs: `r."durationMs"`,
  })}
  ), sd AS (${changedStepDeltas(`s JOIN "Step" os ON os.id = s.id JOIN "Execution" o ON o.id = s."executionId"`, {
    status: "s.status",
    durationMs: `s."durationMs"`,
  })}
  ), j AS (
    -- CASE, not AND: SQL does not promise the order AND evaluates in, and a job must not be queued by accident.
    SELECT CASE WHEN r."wakeAt" IS NOT NULL THEN (${jobs.run({ execution: "x.id", tenant: 'x."tenantId"', runAt: 'r."wakeAt"' })}) IS NOT NULL END AS queued,
      CASE WHEN r."retryAt" IS NOT NULL THEN (${jobs.retry({ execution: "x.id", tenant: 'x."tenantId"', runAt: 'r."retryAt"' })}) IS NOT NULL END AS retry
    FROM x JOIN r ON r.id = x.id
  )
  SELECT x.id, CASE
      WHEN (SELECT count(*) FROM s WHERE s."executionId" = x.id) = r."stepCount" THEN true
      -- A step moved under a lease we hold would be a bug: fail the whole statement, so nothing is written.
      ELSE ('step compare-and-set refused in execution ' || x.id)::boolean
    END AS ok,
    (SELECT count(*) FROM j) AS jobs, (SELECT count(*) FROM b) AS batches
  FROM x JOIN r ON r.id = x.id`;
}

function createSql(jobs: JobSql) {
  return `/* engine:create */
  WITH c AS (
    UPDATE "Execution" SET "nextRetryAt" = NULL
    WHERE $15::uuid IS NOT NULL AND id = $15::uuid AND "tenantId" = $2::uuid AND (NOT $16::boolean OR "nextRetryAt" IS NOT NULL)
    RETURNING id
  ), x AS (
    INSERT INTO "Execution" (id, "tenantId", "workflowId", "workflowVersion", status, "triggerSource", "triggerEvent", input,
      "idempotencyKey", attempt, "retryOfId", "lastEventSequence", "leaseExpiresAt", "createdAt", "externalId",
      "startedByKind", "startedById", "startedByName", context)
    SELECT $1::uuid, $2::uuid, $3::uuid, $4, 'PENDING', $5::"TriggerSource", $6, $7::jsonb, $8, $9, $10::uuid, 1, $11, $17,
      $19, $20::"ActorKind", $21, $22, $23::jsonb
    WHERE ($15::uuid IS NULL OR EXISTS (SELECT 1 FROM c))
      AND (NOT $18::boolean OR EXISTS (
        SELECT 1 FROM "Workflow" w WHERE w.id = $3::uuid AND w."tenantId" = $2::uuid AND w."isActive" AND w.version = $4))
    ON CONFLICT ("workflowId", "idempotencyKey") DO NOTHING
    RETURNING *
  ), b AS (
    INSERT INTO "Batch" (id, "tenantId", "executionId", index, status)
    SELECT r.id, x."tenantId", x.id, r.index, r.status FROM x, jsonb_to_recordset($12::jsonb) AS r(id uuid, index int, status "StepStatus")
  ), s AS (
    INSERT INTO "Step" (id, "tenantId", "executionId", "batchId", key, name, type, index, critical, status, output, "branchTaken")
    SELECT r.id, x."tenantId", x.id, r."batchId", r.key, r.name, r.type, r.index, r.critical, r.status, r.output, r."branchTaken"
    FROM x, jsonb_to_recordset($13::jsonb) AS r(id uuid, "batchId" uuid, key text, name text, type text, index int,
      critical boolean, status "StepStatus", output jsonb, "branchTaken" text)
    RETURNING "tenantId", (SELECT x."workflowId" FROM x) AS "workflowId", type, key, status, "durationMs"
  ), ev AS (${insertEvents("$14")}
  ), ch AS (${insertExecutionChanges({
    from: "x",
    tenant: 'x."tenantId"',
    execution: "x.id",
    previousStatus: "NULL",
    previousErrorMessage: "NULL",
    status: "x.status",
    errorMessage: 'x."errorMessage"',
  })}
  ), rd AS (${createdDeltas("x")}
  ), sd AS (${createdStepDeltas("s")}
  ), j AS (
    SELECT 1 FROM x WHERE (${jobs.run({ execution: "x.id", tenant: 'x."tenantId"', runAt: "now()" })}) IS NOT NULL
  )
  SELECT x.*, x.status::text AS status, x."triggerSource"::text AS "triggerSource",
    x."startedByKind"::text AS "startedByKind", x."cancelledByKind"::text AS "cancelledByKind",
    (SELECT count(*) FROM c)::int AS "claimedOriginal", (SELECT count(*) FROM j)::int AS "queuedJobs",
    EXISTS (SELECT 1 FROM "Workflow" w WHERE w.id = $3::uuid AND w."tenantId" = $2::uuid AND w."isActive" AND w.version = $4)
      AS "currentVersion"
  FROM (SELECT 1) AS one LEFT JOIN x ON true`;
}

const CANCEL_LOCK = `/* engine:cancel */
  SELECT status::text AS status, "startedAt", "lastEventSequence", "errorMessage" FROM "Execution"
  WHERE id = $1::uuid AND "tenantId" = $2::uuid FOR UPDATE`;
const CANCEL_STEPS = `/* engine:cancel */
  UPDATE "Step" SET status = 'CANCELLED', "completedAt" = $3, "wakeAt" = NULL, error = $4
  WHERE "executionId" = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')
  RETURNING id, "batchId", index`;
const CANCEL_BATCHES = `/* engine:cancel */
  UPDATE "Batch" SET status = 'CANCELLED', "completedAt" = $3
  WHERE "executionId" = $1::uuid AND "tenantId" = $2::uuid AND status IN ('PENDING', 'RUNNING')`;
const CANCEL_EXECUTION = `/* engine:cancel */
  WITH x AS (
    UPDATE "Execution" SET status = 'CANCELLED', "cancelReason" = $3, "cancelledBy" = $4,
      "cancelledByKind" = $12::"ActorKind", "cancelledByName" = $13, "completedAt" = $5,
      "durationMs" = $6, "errorMessage" = $7, "errorCode" = 'CANCELLED', "nextRetryAt" = NULL, "lastEventSequence" = $8,
      "pauseRequestedAt" = NULL
    WHERE id = $1::uuid AND "tenantId" = $2::uuid
    RETURNING *
  ), ev AS (${insertEvents("$9")}
  ), ch AS (${insertExecutionChanges({
    from: "x",
    tenant: 'x."tenantId"',
    execution: "x.id",
    previousStatus: '$10::"ExecutionStatus"',
    previousErrorMessage: "$11::text",
    status: "x.status",
    errorMessage: 'x."errorMessage"',
  })}
  ), rd AS (${changedDeltas(`x JOIN "Execution" o ON o.id = x.id`, { status: "x.status", durationMs: `x."durationMs"` })})
  SELECT x.*, x.status::text AS status, x."triggerSource"::text AS "triggerSource",
    x."startedByKind"::text AS "startedByKind", x."cancelledByKind"::text AS "cancelledByKind" FROM x`;

function createParams(tenantId: string, execution: NewExecution): unknown[] {
  return [
    execution.id,
    tenantId,
    execution.workflowId,
    execution.workflowVersion,
    execution.triggerSource,
    execution.triggerEvent,
    json(execution.input),
    execution.idempotencyKey,
    execution.attempt,
    execution.retryOfId,
    execution.reservedUntil,
    JSON.stringify(execution.batches),
    JSON.stringify(execution.steps),
    eventRows([execution.event]),
    execution.claimOriginal?.id ?? null,
    execution.claimOriginal?.onlyIfScheduled ?? false,
    execution.event.at,
    execution.requireCurrentVersion,
    execution.externalId,
    execution.startedBy.kind,
    execution.startedBy.id,
    execution.startedBy.name,
    JSON.stringify(execution.context),
  ];
}

// emitEvent's statements. The key is claimed first: a concurrent call with the same key waits on
// the unique index until this transaction ends, then finds the row (and returns its answer).
const EMIT_CLAIM = `/* engine:emit */
  INSERT INTO "EventEmission" ("tenantId", "idempotencyKey", name, "executionIds", skipped)
  VALUES ($1::uuid, $2, $3, '{}', '[]') ON CONFLICT ("tenantId", "idempotencyKey") DO NOTHING RETURNING id`;
const EMIT_EARLIER = `/* engine:emit */
  SELECT "executionIds"::text[] AS "executionIds", skipped FROM "EventEmission"
  WHERE "tenantId" = $1::uuid AND "idempotencyKey" = $2`;
// FOR SHARE: a concurrent updateWorkflow waits until the runs are created from the versions read here.
const EMIT_LISTENERS = `/* engine:emit */
  SELECT w.id, w.name, w."isActive", w.version, v.definition
  FROM "Workflow" w LEFT JOIN "WorkflowVersion" v ON v."workflowId" = w.id AND v.version = w.version
  WHERE w."tenantId" = $1::uuid AND w."triggerEvent" = $2
  ORDER BY w.name, w.id
  FOR SHARE OF w`;
const EMIT_RECORD = `/* engine:emit */
  UPDATE "EventEmission" SET "executionIds" = $3::uuid[], skipped = $4::jsonb
  WHERE "tenantId" = $1::uuid AND "idempotencyKey" = $2`;

function sweepSql(jobs: JobSql) {
  return `/* engine:sweep */
  WITH stale AS (
    SELECT id FROM "Execution"
    WHERE status IN ('PENDING', 'RUNNING') AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < now())
    ORDER BY "leaseExpiresAt" NULLS FIRST
    LIMIT $1 FOR UPDATE SKIP LOCKED
  ), x AS (
    UPDATE "Execution" e SET "leaseOwner" = NULL, "leaseExpiresAt" = now() + $2 * interval '1 millisecond'
    FROM stale WHERE e.id = stale.id
    RETURNING e.id, e."tenantId"
  )
  SELECT x.id, x."tenantId", (${jobs.run({ execution: "x.id", tenant: 'x."tenantId"', runAt: "now()" })}) IS NOT NULL AS queued
  FROM x`;
}

function toRunState(row: Record<string, unknown>): RunState {
  const batches = (row["batches"] as Record<string, unknown>[]).map(
    (b): BatchState => ({
      id: b["id"] as string,
      index: b["index"] as number,
      status: b["status"] as BatchState["status"],
      startedAt: date(b["startedAt"]),
      completedAt: date(b["completedAt"]),
      durationMs: (b["durationMs"] as number | null) ?? null,
    }),
  );
  const steps = (row["steps"] as Record<string, unknown>[]).map(
    (s): StepState => ({
      id: s["id"] as string,
      key: s["key"] as string,
      batchId: s["batchId"] as string,
      index: s["index"] as number,
      type: s["type"] as string,
      critical: s["critical"] as boolean,
      status: s["status"] as StepState["status"],
      attempt: s["attempt"] as number,
      workerLosses: s["workerLosses"] as number,
      input: (s["input"] as Json | undefined) ?? null,
      output: (s["output"] as Json | undefined) ?? null,
      error: (s["error"] as string | null) ?? null,
      errorCode: (s["errorCode"] as string | null) ?? null,
      branchTaken: (s["branchTaken"] as string | null) ?? null,
      wakeAt: date(s["wakeAt"]),
      startedAt: date(s["startedAt"]),
      completedAt: date(s["completedAt"]),
      durationMs: (s["durationMs"] as number | null) ?? null,
    }),
  );
  return {
    execution: {
      id: row["id"] as string,
      tenantId: row["tenantId"] as string,
      workflowId: row["workflowId"] as string,
      workflowName: row["workflowName"] as string,
      workflowVersion: row["workflowVersion"] as number,
      attempt: row["attempt"] as number,
      input: (row["input"] as Json | null) ?? null,
      status: row["status"] as ExecutionStatus,
      startedAt: (row["startedAt"] as Date | null) ?? null,
      completedAt: (row["completedAt"] as Date | null) ?? null,
      durationMs: (row["durationMs"] as number | null) ?? null,
      output: (row["output"] as Json | null) ?? null,
      errorMessage: (row["errorMessage"] as string | null) ?? null,
      errorCode: (row["errorCode"] as string | null) ?? null,
      errorStepId: (row["errorStepId"] as string | null) ?? null,
      nextRetryAt: (row["nextRetryAt"] as Date | null) ?? null,
      lastEventSequence: row["lastEventSequence"] as number,
      context: (row["context"] as RunState["execution"]["context"] | null) ?? {},
      pausedAt: (row["pausedAt"] as Date | null) ?? null,
      pausedMs: (row["pausedMs"] as number | null) ?? 0,
    },
    definition: row["definition"] ?? null,
    pause: row["pauseRequestedAt"] ? { reason: (row["pauseReason"] as string | null) ?? null, by: row["pausedBy"] as string } : null,
    batches,
    steps,
  };
}

/** Runs the create statement: its one row has the execution's columns, or no id when nothing was created. */
async function createRowWith(create: string, query: Session["query"], execution: NewExecution, tenantId: string) {
  const { rows } = await query(create, createParams(tenantId, execution), "engine_create");
  return rows[0] as Record<string, unknown>;
}

function toCreateResult(execution: NewExecution, row: Record<string, unknown>): CreateResult {
  if (row["id"]) return { kind: "created", execution: toRecord(row) };
  if (execution.claimOriginal && row["claimedOriginal"] === 0) return { kind: "not-claimed" };
  if (execution.requireCurrentVersion && row["currentVersion"] === false) return { kind: "stale-version" };
  return { kind: "duplicate" };
}

export function createPgStore({ sql, jobs }: PgStoreOptions): SystemStore {
  const COMMIT = commitSql(jobs);
  const CREATE = createSql(jobs);
  const SWEEP = sweepSql(jobs);
  const tenants = new Map<string, TenantStore>();

  const tenantStore = (tenantId: string): TenantStore => {
    const createRow = (query: Session["query"], execution: NewExecution) => createRowWith(CREATE, query, execution, tenantId);
    // Group commit: the commits of this tenant's runs requested in the same turn of the event loop
    // go out as one statement (one round trip, one WAL flush); several groups may be in flight.
    const pending: PendingCommit[] = [];
    let scheduled = false;
    const sendGroup = () => {
      scheduled = false;
      const group = pending.splice(0, MAX_GROUP);
      if (pending.length > 0) {
        scheduled = true;
        setImmediate(sendGroup);
      }
      commitGroup(tenantId, group).then(
        (committed) => {
          for (const item of group) item.resolve(committed.has(item.change.execution.id));
        },
        (error: unknown) => {
          for (const item of group) item.reject(error);
        },
      );
    };
    return {
      tenantId,
      async workflow(workflowId) {
        const { rows } = await sql.query<WorkflowHead>(
          `/* engine:workflow */ SELECT w.id, w.name, w."isActive", w.version, v.definition
           FROM "Workflow" w LEFT JOIN "WorkflowVersion" v ON v."workflowId" = w.id AND v.version = w.version
           WHERE w.id = $1::uuid AND w."tenantId" = $2::uuid`,
          [workflowId, tenantId],
          "engine_workflow",
        );
        return rows[0] ?? null;
      },
      async claim(executionId, owner, leaseMs) {
        const { rows } = await sql.query(CLAIM, [executionId, tenantId, owner, leaseMs], "engine_claim");
        return rows[0] ? toRunState(rows[0]) : null;
      },
      async renew(executionId, owner, leaseMs) {
        const { rows } = await sql.query<{ pauseRequestedAt: Date | null; pauseReason: string | null; pausedBy: string | null }>(
          `/* engine:renew */ UPDATE "Execution" SET "leaseExpiresAt" = now() + $4 * interval '1 millisecond'
           WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3 AND status IN ('PENDING', 'RUNNING')
           RETURNING "pauseRequestedAt", "pauseReason", "pausedBy"`,
          [executionId, tenantId, owner, leaseMs],
          "engine_renew",
        );
        const row = rows[0];
        if (!row) return false;
        return { pause: row.pauseRequestedAt ? { reason: row.pauseReason, by: row.pausedBy ?? "unknown" } : null };
      },
      async release(executionId, owner) {
        await sql.query(
          `/* engine:release */ UPDATE "Execution" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL
           WHERE id = $1::uuid AND "tenantId" = $2::uuid AND "leaseOwner" = $3`,
          [executionId, tenantId, owner],
          "engine_release",
        );
      },
      commit: (owner, change) =>
        new Promise<boolean>((resolve, reject) => {
          pending.push({ owner, change, resolve, reject });
          if (!scheduled) {
            scheduled = true;
            setImmediate(sendGroup);
          }
        }),
      async create(execution: NewExecution): Promise<CreateResult> {
        // One statement, or with `alongside` one transaction (what it writes commits with the run).
        if (!execution.alongside) return toCreateResult(execution, await createRow(sql.query, execution));
        const alongside = execution.alongside;
        return sql.transaction(async (tx) => {
          const result = toCreateResult(execution, await createRow(tx.query, execution));
          if (result.kind === "created") await alongside(tx, result.execution);
          return result;
        });
      },
      emit({ name, idempotencyKey, plan }): Promise<EmitResult> {
        return sql.transaction(async (tx) => {
          if (idempotencyKey !== null) {
            const claimed = await tx.query(EMIT_CLAIM, [tenantId, idempotencyKey, name]);
            if (claimed.rowCount === 0) {
              const { rows } = await tx.query<{ executionIds: string[]; skipped: { workflowId: string; reason: string }[] }>(
                EMIT_EARLIER,
                [tenantId, idempotencyKey],
              );
              const earlier = rows[0];
              if (!earlier) throw new Error("an event emission with this idempotency key was reported but not found");
              return { kind: "replayed", executionIds: earlier.executionIds, skipped: earlier.skipped };
            }
          }
          const listeners = await tx.query<WorkflowHead>(EMIT_LISTENERS, [tenantId, name]);
          const decided = plan(listeners.rows);
          const executions = [];
          for (const execution of decided.executions) {
            const row = await createRow(tx.query, execution);
            // No key, no claim, no version check: a run that is not created here is a bug.
            if (!row["id"]) throw new Error(`emit: the run of workflow ${execution.workflowId} was not created`);
            executions.push(toRecord(row));
          }
          if (idempotencyKey !== null) {
            await tx.query(EMIT_RECORD, [
              tenantId,
              idempotencyKey,
              executions.map((e) => e.id),
              JSON.stringify(decided.skipped),
            ]);
          }
          return {
            kind: "emitted",
            executions,
            skipped: decided.skipped,
            events: decided.executions.map((e) => e.event),
          };
        });
      },
      cancel(executionId, input): Promise<CancelResult> {
        return sql.transaction(async (tx) => {
          const locked = await tx.query<{
            status: ExecutionStatus;
            startedAt: Date | null;
            lastEventSequence: number;
            errorMessage: string | null;
          }>(CANCEL_LOCK, [executionId, tenantId]);
          const found = locked.rows[0];
          if (!found) return { kind: "not-found" };
          const { errorMessage: previousErrorMessage, ...row } = found;
          if (isFinishedExecution(row.status)) return { kind: "finished", status: row.status };
          const steps = await tx.query<{ id: string; batchId: string; index: number }>(CANCEL_STEPS, [
            executionId,
            tenantId,
            input.now,
            input.reason,
          ]);
          const plan = planCancel({ id: executionId, tenantId, ...row }, steps.rows, input);
          await tx.query(CANCEL_BATCHES, [executionId, tenantId, input.now]);
          const { rows } = await tx.query(CANCEL_EXECUTION, [
            executionId,
            tenantId,
            input.reason,
            input.by.id,
            input.now,
            plan.durationMs,
            plan.errorMessage,
            plan.lastEventSequence,
            eventRows(plan.events),
            row.status,
            previousErrorMessage,
            input.by.kind,
            input.by.name,
          ]);
          const execution = toRecord(rows[0] as Record<string, unknown>);
          await input.alongside?.(tx, execution);
          return { kind: "cancelled", execution, events: plan.events };
        });
      },
      pause: (executionId, input) => pauseRun(sql, tenantId, executionId, input),
      resume: (executionId, input) => resumeRun(sql, jobs, tenantId, executionId, input),
    };
  };

  async function commitGroup(tenantId: string, group: readonly PendingCommit[]): Promise<Set<string>> {
    const executions = group.map(({ owner, change }) => {
      const e = change.execution;
      return {
        id: e.id,
        owner,
        expectedSequence: change.expectedSequence,
        status: e.status,
        startedAt: e.startedAt,
        completedAt: e.completedAt,
        durationMs: e.durationMs,
        output: e.output,
        errorMessage: e.errorMessage,
        errorCode: e.errorCode,
        errorStepId: e.errorStepId,
        nextRetryAt: e.nextRetryAt,
        lastEventSequence: e.lastEventSequence,
        context: e.context,
        pausedAt: e.pausedAt,
        release: change.release !== null,
        reservedUntil: change.release?.reservedUntil ?? null,
        wakeAt: change.wakeAt,
        retryAt: change.retryAt,
        stepCount: change.steps.length,
      };
    });
    const of = <T extends object>(pick: (c: RunCommit) => readonly T[]) =>
      JSON.stringify(group.flatMap(({ change }) => pick(change).map((row) => ({ ...row, executionId: change.execution.id }))));
    const { rows } = await sql.query<{ id: string; ok: boolean }>(
      COMMIT,
      [
        tenantId,
        JSON.stringify(executions),
        of((c) => c.steps.map(({ state, expectedAttempt }) => ({ ...state, expectedAttempt }))),
        of((c) => c.batches),
        eventRows(group.flatMap(({ change }) => change.events)),
        of((c) => c.logs),
      ],
      "engine_commit",
    );
    return new Set(rows.filter((r) => r.ok).map((r) => r.id));
  }

  return {
    tenant(tenantId) {
      let store = tenants.get(tenantId);
      if (!store) {
        store = tenantStore(tenantId);
        tenants.set(tenantId, store);
      }
      return store;
    },
    async tenantOf(executionId) {
      const { rows } = await sql.query<{ tenantId: string }>(`SELECT "tenantId" FROM "Execution" WHERE id = $1::uuid`, [
        executionId,
      ]);
      return rows[0]?.tenantId ?? null;
    },
    async pruneChanges({ olderThanMs, limit }) {
      const { rowCount } = await sql.query(PRUNE_CHANGES, [olderThanMs, limit], "engine_prune_changes");
      return rowCount ?? 0;
    },
    async compactRollup(limit) {
      const { rows } = await sql.query<{ folded: number }>(compactSql, [limit], "engine_rollup");
      return rows[0]?.folded ?? 0;
    },
    async sweep({ reservationMs, limit }) {
      const { rows } = await sql.query<{ id: string; tenantId: string }>(SWEEP, [limit, reservationMs], "engine_sweep");
      return rows.map((r) => ({ id: r.id, tenantId: r.tenantId }));
    },
  };
}
