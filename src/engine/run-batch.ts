// One batch: its steps run concurrently; a failed critical step aborts its running siblings.
import type { WorkflowDefinition } from "./definition.ts";
import type { EngineError } from "./events.ts";
import type { RunBuffer } from "./run-buffer.ts";
import type { BatchState, StepState } from "./run-state.ts";
import { runStep, type StepDeps } from "./run-step.ts";
import { isTerminalStep } from "./events.ts";

export type BatchResult =
  | { kind: "done" }
  | { kind: "critical-failure"; step: StepState; error: EngineError }
  | { kind: "sleeping"; wakeAt: Date }
  /** A pause was requested: steps that had not started stayed as they were. */
  | { kind: "held" }
  | { kind: "aborted" };

export async function runBatch(
  deps: StepDeps,
  buffer: RunBuffer,
  definition: WorkflowDefinition,
  batch: BatchState,
  runSignal: AbortSignal,
): Promise<BatchResult> {
  const { execution, steps } = buffer.state;
  if (batch.status === "PENDING") {
    Object.assign(batch, { status: "RUNNING", startedAt: new Date(deps.services.now()) });
    buffer.touchBatch(batch);
    buffer.event("BATCH_STARTED", { index: batch.index }, { batchId: batch.id });
  }
  const batchAbort = new AbortController();
  const signal = AbortSignal.any([runSignal, batchAbort.signal]);
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const scope = {
    input: execution.input,
    steps: Object.fromEntries(steps.filter((s) => s.status === "COMPLETED").map((s) => [s.key, { output: s.output }])),
    context: execution.context,
    execution: { id: execution.id },
    workflow: { name: execution.workflowName, version: execution.workflowVersion },
  };
  let critical: { step: StepState; error: EngineError } | null = null;
  const results = await Promise.all(
    steps
      .filter((s) => s.batchId === batch.id && !isTerminalStep(s.status))
      .map(async (step) => {
        const stepDefinition = definition.steps.find((d) => d.id === step.key);
        if (!stepDefinition) throw new Error(`step ${step.key} is not in the definition`);
        const result = await runStep(deps, {
          buffer,
          step,
          definition: stepDefinition,
          dependencies: stepDefinition.dependsOn.map((key) => byKey.get(key)?.status ?? "PENDING"),
          scope,
          signal,
        });
        if (result.kind === "failed" && step.critical && !critical) {
          critical = { step, error: result.error };
          batchAbort.abort("critical sibling failed");
        }
        return result;
      }),
  );
  if (critical) return { kind: "critical-failure", ...(critical as { step: StepState; error: EngineError }) };
  if (runSignal.aborted) return { kind: "aborted" };
  if (results.some((r) => r.kind === "held")) return { kind: "held" };
  const wakeAt = results.flatMap((r) => (r.kind === "sleeping" ? [r.wakeAt.getTime()] : []));
  if (wakeAt.length > 0) return { kind: "sleeping", wakeAt: new Date(Math.min(...wakeAt)) };
  return { kind: "done" };
}
