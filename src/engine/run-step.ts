// One step of a run: skip rules, templates, the action call with its retries, and every state
// change written with compare-and-set on (status, attempt) so a late result from a worker that
// was presumed dead changes nothing.
import type { Prisma, Step } from "@prisma/client";
import { evaluateConditions } from "./conditions.ts";
import type { StepDefinition } from "./definition.ts";
import { invokeAction } from "./actions/invoke.ts";
import type { ActionRegistry } from "./actions/registry.ts";
import type { ActionError, ActionServices, EmailMessage, LogLevel } from "./actions/types.ts";
import { appendEvent, type Db, type EngineEvent, type ExecutionRef, inTransaction, transitionStep, type Tx } from "./store.ts";
import { resolveTemplates, type TemplateScope } from "./templates.ts";

export type StepDeps = {
  db: Db;
  actions: ActionRegistry;
  /** Shared services; sendEmail comes from `sendEmail` below, told which step sends. */
  services: Omit<ActionServices, "sendEmail">;
  sendEmail: (
    message: EmailMessage,
    origin: { tenantId: string; executionId: string; stepKey: string },
  ) => ReturnType<ActionServices["sendEmail"]>;
  publish: (events: EngineEvent[]) => void;
  schedule: (tx: Tx, execution: ExecutionRef, runAt: Date) => Promise<void>;
};

export type StepRun = {
  execution: { id: string; tenantId: string; attempt: number; workflowName: string };
  step: Step;
  definition: StepDefinition;
  /** Outcomes of the steps this one depends on, by key. */
  dependencies: { key: string; status: Step["status"] }[];
  scope: TemplateScope;
  /** Aborted when the run is cancelled, times out, or a critical sibling failed. */
  signal: AbortSignal;
};

export type StepOutcome = "completed" | "failed" | "skipped" | "sleeping" | "aborted";

// Retries that wait longer than this give the worker back and continue in a scheduled job.
const IN_PROCESS_BACKOFF_MS = 5_000;

type LogLine = { level: LogLevel; message: string; data?: unknown; at: Date };

function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}

export async function runStep(deps: StepDeps, run: StepRun): Promise<StepOutcome> {
  const { step, definition } = run;
  if (step.status === "PENDING" && step.attempt === 0) {
    const skip = skipReason(run);
    if (skip) return skipStep(deps, run, skip);
  }
  if (step.wakeAt && step.wakeAt.getTime() > deps.services.now()) {
    await write(deps, run, async (tx) => deps.schedule(tx, run.execution, step.wakeAt as Date));
    return "sleeping";
  }

  let attempt = step.attempt;
  let input: unknown = step.input;
  let resumedAt: number | undefined = step.status === "RUNNING" && step.wakeAt ? step.wakeAt.getTime() : undefined;
  const maxAttempts = definition.retry?.maxAttempts ?? 1;

  if (step.status === "RUNNING" && !step.wakeAt) {
    // The worker that ran this attempt died mid-action: at-least-once, so the attempt counts as
    // failed and the retry policy decides whether it runs again.
    const lost = { code: "WORKER_LOST", message: "the worker running this step stopped", retryable: true };
    const next = await failOrRetry(deps, run, attempt, lost);
    if (next !== "retry") return next;
  }
  if (step.status === "PENDING" || step.status === "RUNNING") {
    if (input == null || step.status === "PENDING") {
      const resolved = resolveTemplates(definition.config, run.scope);
      if (!resolved.ok) {
        return finishFailed(deps, run, attempt, {
          code: resolved.error.code,
          message: resolved.error.message,
          retryable: false,
        });
      }
      input = resolved.value;
    }
  }

  for (;;) {
    if (run.signal.aborted) return "aborted";
    if (resumedAt === undefined) {
      const from = attempt === step.attempt ? [step.status] : (["RUNNING"] as const);
      const started = await write(deps, run, async (tx, events) => {
        const ok = await transitionStep(tx, { id: step.id, attempt: attempt, from: [...from] }, {
          status: "RUNNING",
          attempt: attempt + 1,
          input: toJson(input),
          startedAt: new Date(deps.services.now()),
          wakeAt: null,
          // A step with a `when` that is running took its "then" branch.
          ...(definition.when ? { branchTaken: "then" } : {}),
        });
        if (ok) events.push(await appendEvent(tx, run.execution, { type: "STEP_STARTED", stepId: step.id, batchId: step.batchId, data: { attempt: attempt + 1 } }));
        return ok;
      });
      if (!started) return "aborted";
      attempt += 1;
    }

    const logs: LogLine[] = [];
    const timeout = definition.timeoutMs ? AbortSignal.timeout(definition.timeoutMs) : undefined;
    const signal = timeout ? AbortSignal.any([run.signal, timeout]) : run.signal;
    const handler = deps.actions.get(definition.type);
    const result = handler
      ? await invokeAction(handler, input, {
          signal,
          log: (level, message, data) => logs.push({ level, message, data, at: new Date(deps.services.now()) }),
          execution: { id: run.execution.id, workflowName: run.execution.workflowName, attempt: run.execution.attempt },
          step: { key: step.key, attempt, ...(resumedAt !== undefined ? { resumedAt } : {}) },
          services: {
            ...deps.services,
            sendEmail: (message) =>
              deps.sendEmail(message, { tenantId: run.execution.tenantId, executionId: run.execution.id, stepKey: step.key }),
          },
        })
      : ({ status: "failed", error: { code: "UNKNOWN_ACTION", message: `no action type "${definition.type}" is registered`, retryable: false } } as const);
    resumedAt = undefined;

    if (result.status === "completed") {
      return write(deps, run, async (tx, events) => {
        const ok = await transitionStep(tx, { id: step.id, attempt, from: ["RUNNING"] }, completedData(deps, step, toJson(result.output)));
        if (!ok) return "aborted" as const;
        await writeLogs(tx, run, logs);
        events.push(await appendEvent(tx, run.execution, { type: "STEP_COMPLETED", stepId: step.id, batchId: step.batchId }));
        return "completed" as const;
      });
    }
    if (result.status === "sleep") {
      return write(deps, run, async (tx) => {
        const wakeAt = new Date(result.untilMs);
        const ok = await transitionStep(tx, { id: step.id, attempt, from: ["RUNNING"] }, { wakeAt, output: toJson(result.output) });
        if (!ok) return "aborted" as const;
        await writeLogs(tx, run, logs);
        await deps.schedule(tx, run.execution, wakeAt);
        return "sleeping" as const;
      });
    }
    // A step timeout aborts the action, which reports CANCELLED; say what really happened.
    const error: ActionError =
      timeout?.aborted && !run.signal.aborted
        ? { code: "STEP_TIMEOUT", message: `the step exceeded its timeoutMs of ${definition.timeoutMs} ms`, retryable: true }
        : result.error;
    if (run.signal.aborted) return "aborted";
    await write(deps, run, async (tx) => writeLogs(tx, run, logs));
    if (!error.retryable || attempt >= maxAttempts) return finishFailed(deps, run, attempt, error);
    const next = await failOrRetry(deps, run, attempt, error);
    if (next !== "retry") return next;
  }

  function completedData(d: StepDeps, s: Step, output: Prisma.InputJsonValue | undefined) {
    const completedAt = new Date(d.services.now());
    return {
      status: "COMPLETED" as const,
      output,
      wakeAt: null,
      completedAt,
      durationMs: s.startedAt ? completedAt.getTime() - s.startedAt.getTime() : 0,
    };
  }

  /** After a retryable failure: wait the backoff (here, or in a scheduled job) or fail for good. */
  async function failOrRetry(d: StepDeps, r: StepRun, failedAttempt: number, err: ActionError): Promise<StepOutcome | "retry"> {
    if (!err.retryable || failedAttempt >= maxAttempts) return finishFailed(d, r, failedAttempt, err);
    const policy = r.definition.retry;
    const backoff = Math.round((policy?.backoffMs ?? 0) * (policy?.factor ?? 1) ** Math.max(0, failedAttempt - 1));
    const wakeAt = new Date(d.services.now() + backoff);
    const longWait = backoff > IN_PROCESS_BACKOFF_MS;
    const ok = await write(d, r, async (tx, events) => {
      const moved = await transitionStep(tx, { id: step.id, attempt: failedAttempt, from: ["RUNNING"] }, {
        status: longWait ? "PENDING" : "RUNNING",
        error: err.message,
        errorCode: err.code,
        wakeAt: longWait ? wakeAt : null,
      });
      if (!moved) return false;
      events.push(
        await appendEvent(tx, r.execution, {
          type: "STEP_RETRYING",
          stepId: step.id,
          batchId: step.batchId,
          data: { attempt: failedAttempt, error: err, retryAt: wakeAt.toISOString() },
        }),
      );
      if (longWait) await d.schedule(tx, r.execution, wakeAt);
      return true;
    });
    if (!ok) return "aborted";
    if (longWait) return "sleeping";
    await sleep(backoff, r.signal);
    return r.signal.aborted ? "aborted" : "retry";
  }
}

type Skip = { reason: string; branchTaken: "else" | null };

function skipReason(run: StepRun): Skip | null {
  const deps = run.dependencies;
  if (deps.length > 0 && deps.every((d) => d.status === "SKIPPED")) {
    return { reason: "all dependencies were skipped", branchTaken: null };
  }
  if (run.definition.when && !whenPasses(run)) return { reason: "when: false", branchTaken: "else" };
  return null;
}

function whenPasses(run: StepRun): boolean {
  const data = { input: run.scope.input, steps: run.scope.steps };
  return evaluateConditions(run.definition.when, data).passed;
}

async function skipStep(deps: StepDeps, run: StepRun, { reason, branchTaken }: Skip): Promise<StepOutcome> {
  return write(deps, run, async (tx, events) => {
    const now = new Date(deps.services.now());
    const ok = await transitionStep(tx, { id: run.step.id, attempt: 0, from: ["PENDING"] }, {
      status: "SKIPPED",
      branchTaken,
      startedAt: now,
      completedAt: now,
      durationMs: 0,
    });
    if (!ok) return "aborted";
    events.push(await appendEvent(tx, run.execution, { type: "STEP_SKIPPED", stepId: run.step.id, batchId: run.step.batchId, data: { reason } }));
    return "skipped";
  });
}

async function finishFailed(deps: StepDeps, run: StepRun, attempt: number, error: ActionError): Promise<StepOutcome> {
  return write(deps, run, async (tx, events) => {
    const completedAt = new Date(deps.services.now());
    const ok = await transitionStep(tx, { id: run.step.id, attempt, from: ["RUNNING", "PENDING"] }, {
      status: "FAILED",
      error: error.message,
      errorCode: error.code,
      wakeAt: null,
      completedAt,
      durationMs: run.step.startedAt ? completedAt.getTime() - run.step.startedAt.getTime() : 0,
    });
    if (!ok) return "aborted";
    await tx.logEntry.create({
      data: { tenantId: run.execution.tenantId, executionId: run.execution.id, stepId: run.step.id, level: "ERROR", message: `${error.code}: ${error.message}` },
    });
    events.push(await appendEvent(tx, run.execution, { type: "STEP_FAILED", stepId: run.step.id, batchId: run.step.batchId, data: { error } }));
    return "failed";
  });
}

async function writeLogs(tx: Tx, run: StepRun, logs: LogLine[]): Promise<void> {
  if (logs.length === 0) return;
  await tx.logEntry.createMany({
    data: logs.map((l) => ({
      tenantId: run.execution.tenantId,
      executionId: run.execution.id,
      stepId: run.step.id,
      level: l.level,
      message: l.message,
      data: toJson(l.data),
      at: l.at,
    })),
  });
}

async function write<T>(deps: StepDeps, _run: StepRun, fn: (tx: Tx, events: EngineEvent[]) => Promise<T>): Promise<T> {
  const { value, events } = await inTransaction(deps.db, fn);
  deps.publish(events);
  return value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
