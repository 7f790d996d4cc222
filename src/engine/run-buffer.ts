// The changes a runner makes to its run, held until a commit point and then written in one
// statement (the one place that commits and then publishes). Flushes requested in the same tick
// share one commit (parallel steps finishing together), and commits of one run never overlap.
import { type EngineEvent, type EventDataMap, type EventType, makeEvent } from "./events.ts";
import type { BatchState, RunState, StepState } from "./run-state.ts";
import type { NewLog, RunCommit, TenantStore } from "./store/store.ts";

/** The run cannot go on here: its commit was refused (lease lost, cancelled elsewhere) or failed. */
export class RunInterrupted extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "RunInterrupted";
  }
}

export type RunBuffer = {
  readonly state: RunState;
  event<T extends EventType>(type: T, data: EventDataMap[T], refs?: { stepId?: string; batchId?: string }): void;
  /** Call after changing a step or batch in `state`: it is written with the next commit. */
  touchStep(step: StepState): void;
  touchBatch(batch: BatchState): void;
  log(entry: NewLog): void;
  /** The last commit of a stint: queue a wake-up and/or a retry, and give the lease back. */
  finish(options: { wakeAt?: Date | null; retryAt?: Date | null; reservedUntil?: Date | null }): Promise<void>;
  /** Commits everything so far (together with what else is requested in this tick). */
  flush(): Promise<void>;
  /** True once finish() committed: the lease is already given back. */
  readonly released: boolean;
};

export function createRunBuffer(options: {
  store: TenantStore;
  owner: string;
  state: RunState;
  publish: (events: EngineEvent[]) => void;
  now: () => number;
}): RunBuffer {
  const { store, owner, state } = options;
  const persistedAttempt = new Map(state.steps.map((s) => [s.id, s.attempt]));
  let persistedSequence = state.execution.lastEventSequence;
  let events: EngineEvent[] = [];
  let logs: NewLog[] = [];
  let steps = new Set<StepState>();
  let batches = new Set<BatchState>();
  let ending: Pick<RunCommit, "wakeAt" | "retryAt" | "release"> | null = null;
  let stopped: RunInterrupted | null = null;
  let released = false;
  let queue: Promise<void> = Promise.resolve();
  let scheduled: Promise<void> | null = null;

  async function write(): Promise<void> {
    if (stopped) throw stopped;
    if (events.length === 0 && steps.size === 0 && batches.size === 0 && logs.length === 0 && !ending) return;
    const change: RunCommit = {
      execution: { ...state.execution },
      expectedSequence: persistedSequence,
      steps: [...steps].map((s) => ({ state: { ...s }, expectedAttempt: persistedAttempt.get(s.id) ?? 0 })),
      batches: [...batches].map((b) => ({ ...b })),
      events,
      logs,
      wakeAt: ending?.wakeAt ?? null,
      retryAt: ending?.retryAt ?? null,
      release: ending?.release ?? null,
    };
    events = [];
    logs = [];
    steps = new Set();
    batches = new Set();
    ending = null;
    let ok: boolean;
    try {
      ok = await store.commit(owner, change);
    } catch (error) {
      stopped = new RunInterrupted("the run's commit failed", error);
      throw stopped;
    }
    if (!ok) {
      stopped = new RunInterrupted("the run's commit was refused: its lease was lost or it was changed elsewhere");
      throw stopped;
    }
    persistedSequence = change.execution.lastEventSequence;
    for (const { state: s } of change.steps) persistedAttempt.set(s.id, s.attempt);
    if (change.release) released = true;
    options.publish(change.events);
  }

  function flush(): Promise<void> {
    if (scheduled) return scheduled;
    const next = queue
      .catch(() => {})
      // One turn of the event loop: steps that finish together commit together.
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        scheduled = null;
        return write();
      });
    scheduled = next;
    queue = next;
    return next;
  }

  return {
    state,
    get released() {
      return released;
    },
    event(type, data, refs) {
      const execution = state.execution;
      execution.lastEventSequence += 1;
      events.push(makeEvent(execution, execution.lastEventSequence, type, data, new Date(options.now()), refs));
    },
    touchStep: (step) => void steps.add(step),
    touchBatch: (batch) => void batches.add(batch),
    log: (entry) => void logs.push(entry),
    finish({ wakeAt = null, retryAt = null, reservedUntil = null }) {
      ending = { wakeAt, retryAt, release: { reservedUntil } };
      return flush();
    },
    flush,
  };
}
