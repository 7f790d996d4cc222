// Save-time checks of a definition against what this app can run, on top of parseWorkflowDefinition
// (shape and graph): every step's `type` is a registered action, its `config` fits that action's
// input (see validate-config.ts for templates), and a `when` reads only data that is there when it
// is evaluated. Pure; every problem is reported at once.
//
// Not part of parseWorkflowDefinition on purpose: the runner parses stored definitions again at
// run time, and a version saved before these checks (or before an action was removed) must still
// run and fail as it always did (UNKNOWN_ACTION, INVALID_INPUT), not stop parsing.

import type { FieldIssue } from "../errors.ts";
import type { ActionRegistry } from "./actions/registry.ts";
import type { ConditionRule, StepDefinition, WorkflowDefinition } from "./definition.ts";
import { closest } from "./did-you-mean.ts";
import { configIssues } from "./validate-config.ts";

/** The part of the registry these checks read. */
export type ActionCatalog = Pick<ActionRegistry, "get" | "types">;

/** Problems of an already parsed definition, with paths from its root (["steps","2","config","subjet"]). */
export function validateSteps(definition: WorkflowDefinition, actions: ActionCatalog): FieldIssue[] {
  const upstream = upstreamOf(definition.steps);
  const ids = new Set(definition.steps.map((s) => s.id));
  return definition.steps.flatMap((step, i) => {
    const at = (...path: string[]) => ["steps", String(i), ...path];
    const handler = actions.get(step.type);
    const typeIssues: FieldIssue[] = handler ? [] : [{ path: at("type"), message: unknownType(step.type, actions) }];
    const config = handler
      ? configIssues(handler.input, step.config).map((issue) => ({ ...issue, path: at("config", ...issue.path) }))
      : [];
    const when = (step.when?.rules ?? []).flatMap((rule, j) => {
      const message = whenFieldProblem(rule, step, ids, upstream.get(step.id) ?? new Set());
      return message ? [{ path: at("when", "rules", String(j), "field"), message }] : [];
    });
    return [...typeIssues, ...config, ...when];
  });
}

function unknownType(type: string, actions: ActionCatalog): string {
  const guess = closest(type, actions.types());
  const hint = guess ? ` (did you mean ${JSON.stringify(guess)}?)` : "";
  return `unknown action type ${JSON.stringify(type)}${hint}; registered: ${actions.types().join(", ")}`;
}

// A `when` is evaluated against { input, steps } where steps holds the outputs of the steps that
// completed before this one; only those it depends on (directly or not) are sure to have.
function whenFieldProblem(
  rule: ConditionRule,
  step: StepDefinition,
  ids: ReadonlySet<string>,
  upstream: ReadonlySet<string>,
): string | undefined {
  const [root, id, output] = rule.field.split(".");
  if (root === "input") return undefined;
  if (root !== "steps" || id === undefined || output !== "output") {
    const hint = root === "steps" ? "" : ` (did you mean "input.${rule.field}"?)`;
    return `must start with "input." (the run's input) or "steps.<id>.output" (a dependency's output)${hint}`;
  }
  if (!ids.has(id)) return `there is no step "${id}" in this workflow`;
  if (id === step.id) return `a step's when cannot read its own output ("${id}" has not run yet)`;
  if (upstream.has(id)) return undefined;
  return `"${id}" is not a dependency of "${step.id}", so its output may not be there yet: add it to dependsOn`;
}

/** For each step, every step it depends on directly or indirectly. Tolerates unknown ids and cycles. */
function upstreamOf(steps: readonly StepDefinition[]): Map<string, Set<string>> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const result = new Map<string, Set<string>>();
  for (const step of steps) {
    const seen = new Set<string>();
    const stack = [...step.dependsOn];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.dependsOn ?? []));
    }
    result.set(step.id, seen);
  }
  return result;
}
