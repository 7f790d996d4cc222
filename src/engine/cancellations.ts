// In-process signals to a running run: a cancel in this process aborts the run's in-flight actions
// at once, and a pause request reaches its runner at once (other processes notice both through
// their lease renewal).
import type { PauseRequest } from "./run-state.ts";

export type CancellationRegistry = {
  register(executionId: string, controller: AbortController, onPause?: (request: PauseRequest) => void): () => void;
  abort(executionId: string, reason: string): void;
  /** Tells this process's runner of the execution that a pause was requested. */
  pause(executionId: string, request: PauseRequest): void;
};

type Entry = { controller: AbortController; onPause: ((request: PauseRequest) => void) | undefined };

export function createCancellationRegistry(): CancellationRegistry {
  const running = new Map<string, Set<Entry>>();
  return {
    register(executionId, controller, onPause) {
      const set = running.get(executionId) ?? new Set();
      const entry = { controller, onPause };
      set.add(entry);
      running.set(executionId, set);
      return () => {
        set.delete(entry);
        if (set.size === 0) running.delete(executionId);
      };
    },
    abort(executionId, reason) {
      for (const { controller } of running.get(executionId) ?? []) controller.abort(reason);
    },
    pause(executionId, request) {
      for (const { onPause } of running.get(executionId) ?? []) onPause?.(request);
    },
  };
}
