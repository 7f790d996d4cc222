// In-process cancellation: a cancel in this process aborts the run's in-flight actions at once
// (other processes notice through their lease renewal failing).
export type CancellationRegistry = {
  register(executionId: string, controller: AbortController): () => void;
  abort(executionId: string, reason: string): void;
};

export function createCancellationRegistry(): CancellationRegistry {
  const running = new Map<string, Set<AbortController>>();
  return {
    register(executionId, controller) {
      const set = running.get(executionId) ?? new Set();
      set.add(controller);
      running.set(executionId, set);
      return () => {
        set.delete(controller);
        if (set.size === 0) running.delete(executionId);
      };
    },
    abort(executionId, reason) {
      for (const controller of running.get(executionId) ?? []) controller.abort(reason);
    },
  };
}
