// The records of a simulated execution — steps, batches, events, logs, with times in ms since
// the execution was created — and how one step's planned run becomes events and log lines.
import type { ExecutionEventType, ExecutionStatus, LogLevel, StepStatus } from "@prisma/client";
import type { StepDefinition } from "../engine/definition.ts";
import { describe, logStepLevel, type StepRun } from "./step-run.ts";
import type { Json, StepError } from "./workflow-profile.ts";

export type SimStep = {
  def: StepDefinition;
  batch: number;
  status: StepStatus;
  attempt: number;
  input?: unknown;
  output?: unknown;
  error?: StepError;
  branchTaken?: string;
  startedAt?: number;
  completedAt?: number;
};
export type SimBatch = { status: StepStatus; startedAt?: number; completedAt?: number };
export type SimEvent = { at: number; type: ExecutionEventType; step?: number; batch?: number; data?: Json };
export type SimLog = { at: number; level: LogLevel; message: string; step: number };
export type Simulation = {
  status: ExecutionStatus;
  startedAt?: number;
  completedAt?: number;
  output?: Json;
  error?: StepError & { step?: number };
  steps: SimStep[];
  batches: SimBatch[];
  /** Sorted by time, so an event's position is its sequence. */
  events: (SimEvent & { executionStatus: ExecutionStatus })[];
  logs: SimLog[];
};

export type Emit = (at: number, type: ExecutionEventType, extra?: Omit<SimEvent, "at" | "type">) => void;

/**
 * Emits a step's events and logs up to `cut`. Returns "done" when its last attempt ended before the
 * cut, "started" when it was running (or waiting to retry) at the cut, "waiting" when it had not begun.
 */
export function replayRun(
  i: number,
  step: SimStep,
  run: StepRun,
  cut: number,
  emit: Emit,
  logs: SimLog[],
): "done" | "started" | "waiting" {
  const key = step.def.id;
  const config = step.input as Json;
  const where = { step: i, batch: step.batch };
  for (let n = 0; n < run.attempts.length; n++) {
    const attempt = run.attempts[n] as (typeof run.attempts)[number];
    if (attempt.start > cut) return n === 0 ? "waiting" : "started";
    step.attempt = n + 1;
    step.startedAt ??= attempt.start;
    emit(attempt.start, "STEP_STARTED", { ...where, data: { key, attempt: n + 1 } });
    const text = describe(step.def, config, run, attempt);
    if (n === 0) {
      logs.push({ at: attempt.start, level: "DEBUG", message: `Resolved input for ${step.def.type} step`, step: i });
    }
    // A millisecond later, so that lines ordered by time (then by random id) keep their order.
    const level = step.def.type === "log" ? logStepLevel(config) : "INFO";
    const startLogAt = Math.min(attempt.start + 1, attempt.end);
    if (startLogAt <= cut) logs.push({ at: startLogAt, level, message: text.start, step: i });
    if (attempt.end > cut) return "started";

    const next = run.attempts[n + 1];
    if (attempt.error && next) {
      const retryInMs = next.start - attempt.end;
      emit(attempt.end, "STEP_RETRYING", {
        ...where,
        data: { key, attempt: n + 1, errorCode: attempt.error.code, retryInMs },
      });
      logs.push({
        at: attempt.end,
        level: "WARN",
        message: `Attempt ${n + 1} failed: ${attempt.error.message}; retrying in ${retryInMs} ms`,
        step: i,
      });
    } else if (attempt.error) {
      emit(attempt.end, "STEP_FAILED", { ...where, data: { key, attempt: n + 1, errorCode: attempt.error.code } });
      logs.push({ at: attempt.end, level: "ERROR", message: attempt.error.message, step: i });
    } else {
      emit(attempt.end, "STEP_COMPLETED", { ...where, data: { key, durationMs: attempt.end - (step.startedAt ?? 0) } });
      if (text.done) logs.push({ at: attempt.end, level: "INFO", message: text.done, step: i });
    }
  }
  return "done";
}

// Sorting by time (stable, so same-millisecond events keep the order they happened in) makes the
// array index the sequence; the status is the execution's right after each event.
export function withStatuses(events: SimEvent[]): Simulation["events"] {
  let status: ExecutionStatus = "PENDING";
  const sorted = events.sort((a, b) => a.at - b.at) as Simulation["events"];
  for (const event of sorted) {
    status = AFTER[event.type] ?? status;
    event.executionStatus = status;
  }
  return sorted;
}

const AFTER: Partial<Record<ExecutionEventType, ExecutionStatus>> = {
  EXECUTION_QUEUED: "PENDING",
  EXECUTION_STARTED: "RUNNING",
  EXECUTION_COMPLETED: "COMPLETED",
  EXECUTION_FAILED: "FAILED",
  EXECUTION_CANCELLED: "CANCELLED",
  EXECUTION_TIMED_OUT: "TIMED_OUT",
};
