// The boundary every action call goes through: validate the input, honour an already-aborted
// signal, and turn a thrown error into a failed step. Actions can then trust their input and the
// runner only ever sees an ActionResult.

import type { z } from "zod";
import { type ActionContext, type ActionHandler, type ActionResult, cancelled, failed } from "./types.ts";

export async function invokeAction(handler: ActionHandler, input: unknown, ctx: ActionContext): Promise<ActionResult> {
  if (ctx.signal.aborted) return cancelled();
  const parsed = handler.input.safeParse(input);
  if (!parsed.success) return failed("INVALID_INPUT", formatIssues(parsed.error.issues));
  try {
    return await handler.run(parsed.data, ctx);
  } catch (error) {
    // Retryable: an unexpected throw is more often a flaky dependency than a deterministic bug, and
    // the step's retry policy (maxAttempts) still bounds how often it is tried.
    return failed("ACTION_ERROR", error instanceof Error ? error.message : String(error), true);
  }
}

/** "ms: Too big: expected number to be <=5000; Unrecognized key: \"x\"": one line, every problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ` : "") + issue.message).join("; ");
}
