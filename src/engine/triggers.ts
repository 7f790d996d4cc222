// Which workflows an emitted event starts: pure decisions over the workflows listening to its name
// (trigger.event), each with its own trigger conditions checked on the event's data.
import { evaluateConditions, type RuleResult } from "./conditions.ts";
import type { ConditionRule, ParseResult, WorkflowDefinition } from "./definition.ts";

export type Listener = { id: string; name: string; isActive: boolean; version: number; definition: ParseResult };

export type TriggerDecision =
  | { start: true; definition: WorkflowDefinition }
  | { start: false; reason: string };

export function decideTrigger(listener: Listener, data: unknown): TriggerDecision {
  if (!listener.isActive) return { start: false, reason: "the workflow is inactive" };
  if (!listener.definition.ok) return { start: false, reason: "the workflow's current definition is invalid" };
  const conditions = listener.definition.value.trigger?.conditions;
  const result = evaluateConditions(conditions, data);
  if (result.passed) return { start: true, definition: listener.definition.value };
  const rules = conditions?.rules ?? [];
  const failing = result.results.flatMap((r, i) => (r.passed ? [] : [describeRule(rules[i] as ConditionRule, r)]));
  return { start: false, reason: `trigger conditions did not pass: ${failing.join("; ")}` };
}

/** `order.total greater_than 100 (got 50)`: the rule as written, and what the data held. */
export function describeRule(rule: ConditionRule, result: RuleResult): string {
  const value = rule.value === undefined ? "" : ` ${JSON.stringify(rule.value)}`;
  const actual = result.actual === undefined ? "missing" : `got ${truncate(JSON.stringify(result.actual))}`;
  return `${rule.field} ${rule.operator}${value} (${actual})`;
}

const truncate = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}…` : text);
