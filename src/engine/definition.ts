// The workflow definition format: a zod schema for its shape, then graph checks (ids, dependencies,
// cycles) that need the whole step list. Pure: parsing never throws and reports every problem at
// once, each with a path a client can point at.

import { z } from "zod";
import type { FieldIssue } from "../errors.ts";
import { compileRegex } from "./regex.ts";
import { scheduleSchema } from "./schedule.ts";

export const OPERATORS = [
  "equals",
  "not_equals",
  "contains",
  "not_contains",
  "starts_with",
  "ends_with",
  "greater_than",
  "less_than",
  "greater_than_or_equal",
  "less_than_or_equal",
  "is_empty",
  "is_not_empty",
  "matches_regex",
  "in",
  "not_in",
] as const;

export type Operator = (typeof OPERATORS)[number];

const OPERATOR_ALIASES = {
  "==": "equals",
  "!=": "not_equals",
  ">": "greater_than",
  "<": "less_than",
  ">=": "greater_than_or_equal",
  "<=": "less_than_or_equal",
} as const satisfies Record<string, Operator>;

type OperatorAlias = keyof typeof OPERATOR_ALIASES;

const ALIAS_NAMES = Object.keys(OPERATOR_ALIASES) as OperatorAlias[];

export const MAX_REGEX_LENGTH = 200;

const operatorSchema = z
  .enum([...OPERATORS, ...ALIAS_NAMES], { error: (iss) => `unknown operator ${JSON.stringify(iss.input)}` })
  // Only canonical names survive parsing, so the evaluator switches over one closed set.
  .transform((op): Operator => (op in OPERATOR_ALIASES ? OPERATOR_ALIASES[op as OperatorAlias] : (op as Operator)));

const conditionRuleSchema = z
  .strictObject({
    field: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^.]+(\.[^.]+)*$/, "must be a dot path without empty segments"),
    operator: operatorSchema,
    value: z.unknown().optional(),
  })
  .superRefine((rule, ctx) => {
    const problem = valueProblem(rule.operator, rule.value);
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  });

// Rejecting a value the operator cannot use catches a misunderstood rule when the workflow is
// saved instead of letting it silently evaluate to false at run time.
function valueProblem(operator: Operator, value: unknown): string | undefined {
  switch (operator) {
    case "is_empty":
    case "is_not_empty":
      return value === undefined ? undefined : `${operator} takes no value`;
    case "in":
    case "not_in":
      return Array.isArray(value) ? undefined : `${operator} requires an array value`;
    case "starts_with":
    case "ends_with":
      return typeof value === "string" ? undefined : `${operator} requires a string value`;
    case "greater_than":
    case "less_than":
    case "greater_than_or_equal":
    case "less_than_or_equal":
      return typeof value === "number" || typeof value === "string"
        ? undefined
        : `${operator} requires a number or string value`;
    case "matches_regex":
      return regexProblem(value);
    case "equals":
    case "not_equals":
    case "contains":
    case "not_contains":
      return value === undefined ? `${operator} requires a value` : undefined;
    default: {
      const unreachable: never = operator;
      return `unknown operator ${String(unreachable)}`;
    }
  }
}

function regexProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "matches_regex requires a string value";
  if (value.length > MAX_REGEX_LENGTH) return `regex must be at most ${MAX_REGEX_LENGTH} characters`;
  // Patterns run on RE2 (linear time, no catastrophic backtracking): see regex.ts.
  const compiled = compileRegex(value);
  return compiled.ok ? undefined : `invalid regex (RE2 syntax, no lookaround or backreferences): ${compiled.message}`;
}

export const conditionsSchema = z.strictObject({
  logic: z.enum(["AND", "OR"]),
  rules: z.array(conditionRuleSchema).min(1).max(50),
});

export const retryPolicySchema = z.strictObject({
  maxAttempts: z.int().min(1).max(10),
  // Optional so `{ maxAttempts: 1 }` (no retries: there is nothing to wait between) is enough.
  backoffMs: z.int().min(0).default(0),
  factor: z.number().min(1).optional(),
});

const timeoutMsSchema = z.int().positive();

/** An event name: what emitEvent is called with and `trigger.event` listens to. */
export const EVENT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,199}$/;
export const eventNameSchema = z
  .string()
  .regex(EVENT_NAME_PATTERN, "must start with a letter, then up to 199 letters, digits, _ . : or -");

export const STEP_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const STEP_TYPE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

export const stepDefinitionSchema = z.strictObject({
  id: z.string().regex(STEP_ID_PATTERN, "must start with a letter, then up to 63 letters, digits, _ or -"),
  name: z.string().min(1).max(200).optional(),
  // Not an enum of built-in actions: custom types are registered later and checked by the runner.
  type: z.string().regex(STEP_TYPE_PATTERN, "must start with a lowercase letter, then up to 63 of a-z 0-9 _ . -"),
  config: z.record(z.string(), z.unknown()).default(() => ({})),
  dependsOn: z
    .array(z.string())
    .max(200)
    .default(() => []),
  when: conditionsSchema.optional(),
  critical: z.boolean().default(true),
  retry: retryPolicySchema.optional(),
  timeoutMs: timeoutMsSchema.optional(),
});

export const workflowDefinitionSchema = z.strictObject({
  timeoutMs: timeoutMsSchema.optional(),
  retry: retryPolicySchema.optional(),
  trigger: z
    .strictObject({
      // event: the name emitEvent starts this workflow for (its conditions are checked on the event's data).
      event: eventNameSchema.optional(),
      conditions: conditionsSchema.optional(),
      /** Start a run at every tick of this cron expression (README "Schedules"). */
      schedule: scheduleSchema.optional(),
    })
    .optional(),
  steps: z.array(stepDefinitionSchema).min(1).max(200),
});

export type ConditionRule = z.output<typeof conditionRuleSchema>;
export type Conditions = z.output<typeof conditionsSchema>;
export type RetryPolicy = z.output<typeof retryPolicySchema>;
export type StepDefinition = z.output<typeof stepDefinitionSchema>;
export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;
/** What an author writes: aliases allowed, defaults optional. */
export type WorkflowDefinitionInput = z.input<typeof workflowDefinitionSchema>;

export type ParseResult =
  | { ok: true; value: WorkflowDefinition }
  /** `shape` is set when only the graph checks failed, so checks of single steps can still report alongside. */
  | { ok: false; issues: FieldIssue[]; shape?: WorkflowDefinition };

export function parseWorkflowDefinition(input: unknown): ParseResult {
  const parsed = workflowDefinitionSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.flatMap(toFieldIssues) };
  const issues = checkGraph(parsed.data.steps);
  return issues.length > 0 ? { ok: false, issues, shape: parsed.data } : { ok: true, value: parsed.data };
}

function toFieldIssues(issue: z.core.$ZodIssue): FieldIssue[] {
  const path = issue.path.map(String);
  // zod reports unknown keys on the parent object; pointing at each key is what makes a typo obvious.
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}` }));
  }
  return [{ path, message: issue.message }];
}

/** Checks that need the whole step list; assumes each step already has a valid shape. */
function checkGraph(steps: readonly StepDefinition[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const firstIndex = new Map<string, number>();
  steps.forEach((step, i) => {
    if (firstIndex.has(step.id)) {
      issues.push({ path: ["steps", String(i), "id"], message: `duplicate step id ${JSON.stringify(step.id)}` });
    } else {
      firstIndex.set(step.id, i);
    }
  });

  steps.forEach((step, i) => {
    const seen = new Set<string>();
    step.dependsOn.forEach((dep, j) => {
      const path = ["steps", String(i), "dependsOn", String(j)];
      if (dep === step.id) issues.push({ path, message: `step ${JSON.stringify(dep)} depends on itself` });
      else if (!firstIndex.has(dep)) issues.push({ path, message: `unknown step id ${JSON.stringify(dep)}` });
      else if (seen.has(dep)) issues.push({ path, message: `duplicate dependency ${JSON.stringify(dep)}` });
      seen.add(dep);
    });
  });

  issues.push(...findCycles(steps, firstIndex));
  return issues;
}

// Depth-first search; every edge back to a step still on the stack closes a cycle. Self-edges and
// unknown ids are reported above, so they are skipped here. Iterative so deep chains cannot overflow.
function findCycles(steps: readonly StepDefinition[], firstIndex: ReadonlyMap<string, number>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const state = new Map<number, "active" | "done">();
  for (const [, root] of firstIndex) {
    if (state.has(root)) continue;
    const stack: { index: number; next: number }[] = [{ index: root, next: 0 }];
    state.set(root, "active");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { index: number; next: number };
      const step = steps[frame.index] as StepDefinition;
      if (frame.next >= step.dependsOn.length) {
        state.set(frame.index, "done");
        stack.pop();
        continue;
      }
      const entry = frame.next++;
      const depId = step.dependsOn[entry] as string;
      const dep = firstIndex.get(depId);
      // Duplicate entries were reported above; following them again would report the same cycle twice.
      if (dep === undefined || dep === frame.index || step.dependsOn.indexOf(depId) !== entry) continue;
      const depState = state.get(dep);
      if (depState === "active") {
        const start = stack.findIndex((f) => f.index === dep);
        const ids = stack.slice(start).map((f) => (steps[f.index] as StepDefinition).id);
        issues.push({
          path: ["steps", String(frame.index), "dependsOn", String(entry)],
          message: `dependency cycle: ${[...ids, depId].join(" -> ")}`,
        });
      } else if (depState === undefined) {
        state.set(dep, "active");
        stack.push({ index: dep, next: 0 });
      }
    }
  }
  return issues;
}
