// Turns a step graph into Batches: the layers of steps that can run in parallel. Callers pass a
// definition that parseWorkflowDefinition accepted, so a cycle or unknown id here is a bug, not input.

export type PlanStep = { id: string; dependsOn?: readonly string[] };

/**
 * Batch 0 holds the steps without dependencies; a step lands in the batch after its deepest
 * dependency. Each batch keeps definition order, so the plan is stable for a given definition.
 */
export function planBatches(steps: readonly PlanStep[]): string[][] {
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (index.has(step.id)) throw new Error(`planBatches: duplicate step id ${JSON.stringify(step.id)}`);
    index.set(step.id, i);
  });

  // Kahn's algorithm, tracking each step's depth; iterative, so long chains cannot overflow the stack.
  const dependents: number[][] = steps.map(() => []);
  const waitingOn = steps.map((step) => step.dependsOn?.length ?? 0);
  steps.forEach((step, i) => {
    for (const dep of step.dependsOn ?? []) {
      const d = index.get(dep);
      if (d === undefined) throw new Error(`planBatches: step ${JSON.stringify(step.id)} depends on unknown ${dep}`);
      dependents[d]?.push(i);
    }
  });

  const depth = steps.map(() => 0);
  const ready = waitingOn.flatMap((n, i) => (n === 0 ? [i] : []));
  let planned = 0;
  while (planned < ready.length) {
    const i = ready[planned++] as number;
    for (const next of dependents[i] ?? []) {
      depth[next] = Math.max(depth[next] ?? 0, (depth[i] ?? 0) + 1);
      waitingOn[next] = (waitingOn[next] ?? 0) - 1;
      if (waitingOn[next] === 0) ready.push(next);
    }
  }
  if (planned < steps.length) throw new Error("planBatches: the steps contain a dependency cycle");

  const batches: string[][] = [];
  steps.forEach((step, i) => {
    const d = depth[i] ?? 0;
    const batch = batches[d] ?? [];
    batch.push(step.id);
    batches[d] = batch;
  });
  return batches;
}
