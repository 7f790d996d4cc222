// Evaluates trigger and step conditions against data (a trigger payload, step outputs). Pure, and
// total: a rule that cannot apply to the value it finds fails instead of throwing.

import type { ConditionRule, Conditions, Operator } from "./definition.ts";
import { regexMatches } from "./regex.ts";

export type RuleResult = { field: string; operator: Operator; passed: boolean; actual: unknown };
export type ConditionsResult = { passed: boolean; results: RuleResult[] };

/** No conditions means "always". Every rule is evaluated (no short-circuit) so logs show them all. */
export function evaluateConditions(conditions: Conditions | undefined, data: unknown): ConditionsResult {
  if (!conditions) return { passed: true, results: [] };
  const results = conditions.rules.map((rule) => {
    const actual = getPath(data, rule.field);
    return { field: rule.field, operator: rule.operator, passed: evaluateRule(rule, actual), actual };
  });
  const passed = conditions.logic === "AND" ? results.every((r) => r.passed) : results.some((r) => r.passed);
  return { passed, results };
}

/**
 * One line saying why conditions passed or failed, rule by rule with the value each one saw:
 * `Trigger conditions passed (AND): order.total greater_than_or_equal 100: passed (was 150); …`.
 */
export function describeConditions(conditions: Conditions, result: ConditionsResult): string {
  const rules = result.results.map((r, i) => {
    const expected = conditions.rules[i]?.value;
    const operand = expected === undefined ? "" : ` ${shown(expected)}`;
    return `${r.field} ${r.operator}${operand}: ${r.passed ? "passed" : "failed"} (was ${shown(r.actual)})`;
  });
  const verdict = result.passed ? "passed" : "did not pass; no step ran";
  return `Trigger conditions ${verdict} (${conditions.logic}): ${rules.join("; ")}`;
}

function shown(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Reads a dot path ("user.profile.age", "items.0.sku"). Numeric segments index arrays. Only own
 * properties are followed, so "constructor" or "__proto__" never reach the prototype chain.
 */
export function getPath(data: unknown, path: string): unknown {
  if (path === "") return data;
  let current: unknown = data;
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

// The negated operators are exact negations, so e.g. not_contains on a missing field passes.
export function evaluateRule(rule: Pick<ConditionRule, "operator" | "value">, actual: unknown): boolean {
  const { value } = rule;
  switch (rule.operator) {
    case "equals":
      return deepEqual(actual, value);
    case "not_equals":
      return !deepEqual(actual, value);
    case "contains":
      return contains(actual, value);
    case "not_contains":
      return !contains(actual, value);
    case "starts_with":
      return typeof actual === "string" && typeof value === "string" && actual.startsWith(value);
    case "ends_with":
      return typeof actual === "string" && typeof value === "string" && actual.endsWith(value);
    case "greater_than":
      return compare(actual, value, (c) => c > 0);
    case "less_than":
      return compare(actual, value, (c) => c < 0);
    case "greater_than_or_equal":
      return compare(actual, value, (c) => c >= 0);
    case "less_than_or_equal":
      return compare(actual, value, (c) => c <= 0);
    case "is_empty":
      return isEmpty(actual);
    case "is_not_empty":
      return !isEmpty(actual);
    case "matches_regex":
      return matchesRegex(actual, value);
    case "in":
      return Array.isArray(value) && value.some((item) => deepEqual(item, actual));
    case "not_in":
      return !(Array.isArray(value) && value.some((item) => deepEqual(item, actual)));
    default: {
      const unreachable: never = rule.operator;
      throw new Error(`unknown operator ${String(unreachable)}`);
    }
  }
}

/**
 * Typed equality: 5 and "5" are different, as are true and "true". Coercing would make a rule's
 * meaning depend on how an upstream system happened to serialise a field. Arrays and plain objects
 * compare structurally.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(b).length &&
    aKeys.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], bRecord[k]))
  );
}

// Strings: case-insensitive substring. Arrays: membership, strings matched case-insensitively.
function contains(actual: unknown, value: unknown): boolean {
  if (typeof actual === "string") {
    return typeof value === "string" && actual.toLowerCase().includes(value.toLowerCase());
  }
  if (Array.isArray(actual)) {
    return actual.some((item) =>
      typeof item === "string" && typeof value === "string"
        ? item.toLowerCase() === value.toLowerCase()
        : deepEqual(item, value),
    );
  }
  return false;
}

// Numbers numerically, two strings lexicographically (which orders ISO-8601 timestamps correctly);
// any other pairing is not comparable and fails.
function compare(actual: unknown, value: unknown, test: (c: number) => boolean): boolean {
  if (typeof actual === "number" && typeof value === "number") {
    return !Number.isNaN(actual) && !Number.isNaN(value) && test(actual < value ? -1 : actual > value ? 1 : 0);
  }
  if (typeof actual === "string" && typeof value === "string") {
    return test(actual < value ? -1 : actual > value ? 1 : 0);
  }
  return false;
}

function isEmpty(actual: unknown): boolean {
  if (actual === null || actual === undefined || actual === "") return true;
  if (Array.isArray(actual)) return actual.length === 0;
  return isPlainObject(actual) && Object.keys(actual).length === 0;
}

// A Date or Map has no own keys but is not "empty".
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Conditions are validated when saved, but a stored pattern may predate a rule change; a bad one
// fails the rule rather than the run.
function matchesRegex(actual: unknown, pattern: unknown): boolean {
  if (typeof actual !== "string" || typeof pattern !== "string") return false;
  return regexMatches(pattern, actual);
}
