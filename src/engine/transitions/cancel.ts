// Cancelling: every open step is cancelled in step order, an event each, then the execution.
import { type Actor, type EngineEvent, type ExecutionRef, type ExecutionStatus, makeEvent } from "../events.ts";

export type CancelPlan = {
  events: EngineEvent[];
  durationMs: number | null;
  errorMessage: string;
  lastEventSequence: number;
};

export function planCancel(
  execution: ExecutionRef & { status: ExecutionStatus; startedAt: Date | null; lastEventSequence: number },
  openSteps: readonly { id: string; batchId: string; index: number }[],
  input: { reason: string; by: Actor; now: Date },
): CancelPlan {
  const by = input.by.name ?? input.by.id;
  let sequence = execution.lastEventSequence;
  const events = [...openSteps]
    .sort((a, b) => a.index - b.index)
    .map((step) =>
      makeEvent(execution, ++sequence, "STEP_CANCELLED", { reason: input.reason }, input.now, {
        stepId: step.id,
        batchId: step.batchId,
      }),
    );
  events.push(
    makeEvent(
      { ...execution, status: "CANCELLED" },
      ++sequence, "EXECUTION_CANCELLED",
      { reason: input.reason, by, actor: { ...input.by } },
      input.now,
    ),
  );
  return {
    events,
    durationMs: execution.startedAt ? input.now.getTime() - execution.startedAt.getTime() : null,
    errorMessage: `Cancelled by ${by}: ${input.reason}`,
    lastEventSequence: sequence,
  };
}
