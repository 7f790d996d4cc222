// What the engine tells an observer (metrics, at the edge: the engine itself imports no metrics
// library). Calls are made on the hot path, once per step outcome and once per finished run, with
// primitives only: an implementation must be as cheap as a counter increment and never throw.

export type StepOutcome = "completed" | "failed" | "skipped" | "retrying" | "cancelled" | "worker_lost";
export const STEP_OUTCOMES: readonly StepOutcome[] = ["completed", "failed", "skipped", "retrying", "cancelled", "worker_lost"];

export type EngineObserver = {
  /** A step of action `type` reached `outcome` (it is committed with the run's next commit). */
  step(type: string, outcome: StepOutcome): void;
  /** A run ended (driven by this process's worker, or cancelled here after it started); `durationMs` from its first start. */
  run(status: "COMPLETED" | "FAILED" | "TIMED_OUT" | "CANCELLED", durationMs: number): void;
};

export const NO_OBSERVER: EngineObserver = { step() {}, run() {} };
