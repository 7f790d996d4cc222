// The contract between the runner and an action. Actions are framework-free: everything with a side
// effect outside the process (fetch, email, the clock) comes in through `services`, so tests pass
// fakes and the runner decides how a step's logs and time are recorded.

import type { z } from "zod";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export type EmailMessage = { to: string[]; subject: string; text?: string; html?: string; from?: string };

export type ActionServices = {
  fetch: typeof fetch;
  sendEmail: (message: EmailMessage) => Promise<{ delivered: boolean; transport: "smtp" | "outbox"; id: string }>;
  now: () => number;
};

export type ActionContext = {
  /** Aborted when the execution is cancelled or the step times out; actions stop at once. */
  signal: AbortSignal;
  log: (level: LogLevel, message: string, data?: unknown) => void;
  execution: { id: string; workflowName: string; attempt: number };
  step: {
    key: string;
    attempt: number;
    /**
     * When this attempt started (ms). An attempt run again after its worker died keeps its start,
     * so an action that waits (delay) waits only for the time it has left.
     */
    startedAt?: number;
    /**
     * Set only when the runner re-invokes a step that returned `{ status: "sleep" }`: the `untilMs`
     * that result asked for. The action compares it with `services.now()` to tell "woken after the
     * sleep" (finish) from "woken early" (sleep again until the same moment).
     */
    resumedAt?: number;
  };
  services: ActionServices;
};

export type ActionError = { message: string; code: string; retryable: boolean };

/**
 * - completed: the step is done; `output` becomes steps.<id>.output for later templates, and the
 *   keys of `context` (if any) are written into the run's context ({{context.<key>}}).
 * - failed: a value, not an exception; `retryable` lets the step's retry policy apply.
 * - sleep: release the worker and re-invoke this step (same input, `step.resumedAt = untilMs`) at
 *   `untilMs`; `output` is an optional progress snapshot, not the step's final output.
 */
export type ActionResult =
  | { status: "completed"; output: unknown; context?: Record<string, unknown> }
  | { status: "failed"; error: ActionError }
  | { status: "sleep"; untilMs: number; output?: unknown };

export type ActionHandler<Input = unknown> = {
  /** The step `type` in a definition that selects this action. */
  type: string;
  /** Validates the (already templated) step config; see invokeAction. */
  input: z.ZodType<Input>;
  /**
   * True for an action that only computes from its input (no I/O, no waiting, nothing outside the
   * process changes): the engine then writes its STARTED and COMPLETED together instead of making
   * STARTED durable before it runs. Leave unset when in doubt: running it twice must be harmless.
   */
  pure?: boolean;
  run(input: Input, ctx: ActionContext): Promise<ActionResult>;
};

/** Identity, so `run`'s parameter is inferred from the `input` schema. */
export function defineAction<I>(handler: ActionHandler<I>): ActionHandler<I> {
  return handler;
}

export function failed(code: string, message: string, retryable = false): ActionResult {
  return { status: "failed", error: { code, message, retryable } };
}

export function cancelled(message = "the step was cancelled"): ActionResult {
  return failed("CANCELLED", message);
}
