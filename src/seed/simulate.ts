// Plays one execution through its batches the way the engine would, aiming at a chosen final
// status, and records every state change as an event. Pure apart from the seeded Random; times
// are ms since the execution was created (generate.ts anchors them to a date).
import type { ExecutionStatus } from "@prisma/client";
import { evaluateConditions } from "../engine/conditions.ts";
import type { StepDefinition, WorkflowDefinition } from "../engine/definition.ts";
import type { Random } from "./random.ts";
import { planStepRun, type RunMode, type StepRun } from "./step-run.ts";
import { resolveTemplates } from "../engine/templates.ts";
import {
  type Emit,
  replayRun,
  type SimBatch,
  type SimEvent,
  type SimLog,
  type SimStep,
  type Simulation,
  withStatuses,
} from "./timeline.ts";
import type { Json, StepError, WorkflowProfile } from "./workflow-profile.ts";

/** A workflow version with its batches (step indices per batch, from planBatches). */
export type PlannedVersion = { version: number; definition: WorkflowDefinition; batches: number[][] };

export type SimulateInput = {
  rng: Random;
  profile: WorkflowProfile;
  plan: PlannedVersion;
  input: Json;
  target: ExecutionStatus;
  queueDelayMs: number;
  cancelReason?: string;
};

const WORKING_TYPES = new Set(["http", "email", "delay", "transform"]);
const CALL_TYPES = new Set(["http", "email"]);

export function simulate(s: SimulateInput): Simulation {
  const { rng, plan, target } = s;
  const def = plan.definition;
  const steps: SimStep[] = def.steps.map((d) => ({ def: d, batch: -1, status: "PENDING", attempt: 0 }));
  plan.batches.forEach((batch, b) => {
    for (const i of batch) (steps[i] as SimStep).batch = b;
  });
  const batches: SimBatch[] = plan.batches.map(() => ({ status: "PENDING" }));
  const events: SimEvent[] = [];
  const logs: SimLog[] = [];
  const emit: Emit = (at, type, extra = {}) => events.push({ at, type, ...extra });
  const done = (rest: Omit<Simulation, "steps" | "batches" | "events" | "logs">): Simulation => ({
    ...rest,
    steps,
    batches,
    events: withStatuses(events),
    logs,
  });
  // Steps that never got to run are cancelled with the execution, each with its own event.
  const cancelRemaining = (at: number, reason: string) => {
    steps.forEach((step, i) => {
      if (step.status !== "PENDING") return;
      Object.assign(step, { status: "CANCELLED", completedAt: at });
      emit(at, "STEP_CANCELLED", { step: i, batch: step.batch, data: { key: step.def.id, reason } });
    });
    for (const batch of batches)
      if (batch.status === "PENDING") Object.assign(batch, { status: "CANCELLED", completedAt: at });
  };

  emit(0, "EXECUTION_QUEUED", { data: { workflowVersion: plan.version } });
  if (target === "PENDING") return done({ status: "PENDING" });

  const reason = s.cancelReason ?? "Cancelled";
  // A run cancelled while still queued never starts.
  if (target === "CANCELLED" && rng.chance(0.15)) {
    const at = s.queueDelayMs + rng.int(500, 90_000);
    cancelRemaining(at, reason);
    emit(at, "EXECUTION_CANCELLED", { data: { reason } });
    return done({ status: "CANCELLED", completedAt: at });
  }

  // Where the chosen outcome strikes: a critical step that fails, a step that hangs past the
  // workflow timeout, or the batch that is running when the run is cancelled or observed.
  const unconditional = (i: number) => !steps[i]?.def.when;
  const pickIndex = (ok: (step: StepDefinition) => boolean) => {
    const found = def.steps.flatMap((step, i) => (ok(step) && unconditional(i) ? [i] : []));
    return found.length > 0 ? rng.pick(found) : undefined;
  };
  // A workflow with a guarded `fail` step mostly fails through it: its checks see degraded outputs.
  const failsItself = def.steps.some((d) => d.type === "fail") && rng.chance(0.7);
  const failStep =
    target === "FAILED" && !failsItself
      ? pickIndex((d) => d.critical && d.type !== "log" && d.type !== "delay")
      : undefined;
  // Only calls to other systems hang; a template or a timer does not.
  const hangStep =
    target === "TIMED_OUT" ? pickIndex((d) => CALL_TYPES.has(d.type) && d.timeoutMs === undefined) : undefined;
  const cutStep =
    target === "RUNNING" || target === "CANCELLED" ? pickIndex((d) => WORKING_TYPES.has(d.type)) : undefined;
  const cutBatch = cutStep === undefined ? undefined : steps[cutStep]?.batch;

  const startedAt = s.queueDelayMs;
  emit(startedAt, "EXECUTION_STARTED");
  const deadline = def.timeoutMs === undefined ? Number.POSITIVE_INFINITY : startedAt + def.timeoutMs;
  const data = { input: s.input, steps: {} as Record<string, { output: unknown }> };
  let t = startedAt;

  for (let b = 0; b < plan.batches.length; b++) {
    const batch = batches[b] as SimBatch;
    const members = plan.batches[b] as number[];
    const batchStart = t + rng.int(0, 2);
    Object.assign(batch, { status: "RUNNING", startedAt: batchStart });
    emit(batchStart, "BATCH_STARTED", { batch: b, data: { index: b, steps: members.map((i) => steps[i]?.def.id) } });

    // Plan every member against the outputs of earlier batches only: members run in parallel.
    const runs: [number, StepRun][] = [];
    let batchEnd = batchStart + 1;
    for (const i of members) {
      const step = steps[i] as SimStep;
      if (step.def.when) {
        const passed = evaluateConditions(step.def.when, data).passed;
        step.branchTaken = passed ? "then" : "else";
        if (!passed) {
          const at = batchStart + rng.int(0, 1);
          Object.assign(step, { status: "SKIPPED", completedAt: at });
          emit(at, "STEP_SKIPPED", { step: i, batch: b, data: { key: step.def.id, branchTaken: "else" } });
          logs.push({ at, level: "INFO", message: "Skipped: its condition was not met", step: i });
          continue;
        }
      }
      // The seed's definitions only reference input and earlier steps; execution/workflow are unused.
      const resolved = resolveTemplates(step.def.config, {
        ...data,
        execution: { id: "" },
        workflow: { name: "", version: 0 },
      });
      const config = (resolved.ok ? resolved.value : step.def.config) as Json;
      step.input = config;
      const mode: RunMode = i === failStep ? "fail" : i === hangStep ? "hang" : "ok";
      const ctx = { rng, input: s.input, steps: data.steps, config, degraded: target === "FAILED" };
      const run = planStepRun(step.def, batchStart + rng.int(0, 3), mode, {
        ...ctx,
        profile: s.profile,
      });
      runs.push([i, run]);
      batchEnd = Math.max(batchEnd, run.attempts.at(-1)?.end ?? batchEnd);
    }

    let cut = Number.POSITIVE_INFINITY;
    let cause: ExecutionStatus | undefined;
    if (b === cutBatch && Number.isFinite(batchEnd)) {
      cut = Math.min(batchEnd - 1, batchStart + 2 + Math.floor((batchEnd - batchStart) * (0.05 + 0.9 * rng.next())));
      cause = target;
    }
    if (batchEnd > deadline && deadline < cut) {
      cut = Math.max(deadline, batchStart + 2);
      cause = "TIMED_OUT";
    }

    let failed: number | undefined;
    for (const [i, run] of runs) {
      const step = steps[i] as SimStep;
      const state = replayRun(i, step, run, cut, emit, logs);
      if (state === "done") {
        const last = run.attempts.at(-1) as { end: number };
        Object.assign(step, { status: run.error ? "FAILED" : "COMPLETED", completedAt: last.end });
        if (run.error) step.error = run.error;
        else step.output = run.output;
        if (run.error && step.def.critical) failed ??= i;
      } else if (cause === "RUNNING") {
        step.status = state === "started" ? "RUNNING" : "PENDING";
      } else if (state === "started" && cause === "TIMED_OUT") {
        const error = { code: "TIMEOUT", message: `Aborted: the execution exceeded its ${def.timeoutMs} ms timeout` };
        Object.assign(step, { status: "FAILED", completedAt: cut, error });
        emit(cut, "STEP_FAILED", {
          step: i,
          batch: b,
          data: { key: step.def.id, attempt: step.attempt, errorCode: error.code },
        });
        logs.push({ at: cut, level: "ERROR", message: error.message, step: i });
        failed ??= i;
      } else if (state === "started") {
        Object.assign(step, { status: "CANCELLED", completedAt: cut });
        emit(cut, "STEP_CANCELLED", { step: i, batch: b, data: { key: step.def.id, reason } });
        logs.push({ at: cut, level: "WARN", message: `Cancelled while running: ${reason}`, step: i });
      }
    }
    for (const [i, run] of runs)
      if (steps[i]?.status === "COMPLETED") data.steps[steps[i].def.id] = { output: run.output };

    if (cause === "RUNNING") return done({ status: "RUNNING", startedAt });
    if (cause === "CANCELLED" || cause === "TIMED_OUT") {
      Object.assign(batch, { status: cause === "CANCELLED" ? "CANCELLED" : "FAILED", completedAt: cut });
      cancelRemaining(cut, cause === "CANCELLED" ? reason : "The execution timed out");
      if (cause === "CANCELLED") {
        emit(cut, "EXECUTION_CANCELLED", { data: { reason } });
        return done({ status: "CANCELLED", startedAt, completedAt: cut });
      }
      const error = { code: "TIMEOUT", message: `Execution exceeded its ${def.timeoutMs} ms timeout`, step: failed };
      emit(cut, "EXECUTION_TIMED_OUT", { data: { timeoutMs: def.timeoutMs } });
      return done({ status: "TIMED_OUT", startedAt, completedAt: cut, error });
    }

    Object.assign(batch, { status: failed === undefined ? "COMPLETED" : "FAILED", completedAt: batchEnd });
    emit(batchEnd, "BATCH_COMPLETED", {
      batch: b,
      data: { index: b, status: batch.status, durationMs: batchEnd - batchStart },
    });
    t = batchEnd;
    if (failed !== undefined) {
      const step = steps[failed] as SimStep;
      const end = batchEnd + rng.int(0, 2);
      cancelRemaining(end, `Step ${step.def.id} failed`);
      emit(end, "EXECUTION_FAILED", { data: { key: step.def.id, errorCode: step.error?.code } });
      return done({
        status: "FAILED",
        startedAt,
        completedAt: end,
        error: { ...(step.error as StepError), step: failed },
      });
    }
  }

  const end = t + rng.int(1, 4);
  emit(end, "EXECUTION_COMPLETED");
  const finalBatch = plan.batches.at(-1) ?? [];
  const output = Object.fromEntries(
    finalBatch.flatMap((i) => (steps[i]?.status === "COMPLETED" ? [[steps[i].def.id, steps[i].output]] : [])),
  );
  return done({ status: "COMPLETED", startedAt, completedAt: end, output });
}
