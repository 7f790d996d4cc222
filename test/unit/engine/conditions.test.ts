import { describe, expect, it } from "vitest";
import { describeConditions, evaluateConditions, evaluateRule, getPath } from "../../../src/engine/conditions.ts";
import { type Conditions, type Operator, parseWorkflowDefinition } from "../../../src/engine/definition.ts";

const rule = (operator: Operator, value: unknown, actual: unknown) => evaluateRule({ operator, value }, actual);

/** Parses one rule through the real schema, so aliases are normalised exactly as in production. */
function single(operator: string, value: unknown, field = "x"): Conditions {
  const parsed = parseWorkflowDefinition({
    trigger: { conditions: { logic: "AND", rules: [{ field, operator, value }] } },
    steps: [{ id: "a", type: "noop" }],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value.trigger?.conditions as Conditions;
}

const passes = (operator: string, value: unknown, actual: unknown) =>
  evaluateConditions(single(operator, value), { x: actual }).passed;

describe("getPath", () => {
  const data = { user: { profile: { age: 42, tags: ["a", "b"] } }, items: [{ sku: "X1" }], zero: 0, nil: null };

  it("reads nested fields and array indexes", () => {
    expect(getPath(data, "user.profile.age")).toBe(42);
    expect(getPath(data, "user.profile.tags.1")).toBe("b");
    expect(getPath(data, "items.0.sku")).toBe("X1");
    expect(getPath(data, "zero")).toBe(0);
    expect(getPath(data, "nil")).toBeNull();
  });

  it("returns undefined for anything missing", () => {
    expect(getPath(data, "user.missing.age")).toBeUndefined();
    expect(getPath(data, "items.5.sku")).toBeUndefined();
    expect(getPath(data, "nil.deeper")).toBeUndefined();
    expect(getPath(data, "zero.deeper")).toBeUndefined();
    expect(getPath(undefined, "a")).toBeUndefined();
    expect(getPath("text", "length")).toBeUndefined();
  });

  it("does not walk the prototype chain", () => {
    expect(getPath({}, "constructor")).toBeUndefined();
    expect(getPath({}, "__proto__")).toBeUndefined();
    expect(getPath({ a: {} }, "a.toString")).toBeUndefined();
  });
});

describe("operators", () => {
  it("equals / == use typed, deep equality", () => {
    for (const op of ["equals", "=="]) {
      expect(passes(op, 5, 5)).toBe(true);
      expect(passes(op, "5", 5)).toBe(false);
      expect(passes(op, true, "true")).toBe(false);
      expect(passes(op, { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
      expect(passes(op, { a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
      expect(passes(op, [1, 2], [2, 1])).toBe(false);
      expect(passes(op, null, null)).toBe(true);
      expect(passes(op, null, undefined)).toBe(false);
    }
  });

  it("not_equals / != negate equals", () => {
    for (const op of ["not_equals", "!="]) {
      expect(passes(op, "a", "b")).toBe(true);
      expect(passes(op, 5, "5")).toBe(true);
      expect(passes(op, { a: 1 }, { a: 1 })).toBe(false);
      expect(passes(op, "a", "a")).toBe(false);
    }
  });

  it("contains: case-insensitive substring, or array membership", () => {
    expect(rule("contains", "WORLD", "hello world")).toBe(true);
    expect(rule("contains", "mars", "hello world")).toBe(false);
    expect(rule("contains", "Admin", ["user", "admin"])).toBe(true);
    expect(rule("contains", "adm", ["user", "admin"])).toBe(false);
    expect(rule("contains", 2, [1, 2, 3])).toBe(true);
    expect(rule("contains", { id: 1 }, [{ id: 1 }])).toBe(true);
    expect(rule("contains", "1", 12345)).toBe(false);
    expect(rule("contains", "a", undefined)).toBe(false);
  });

  it("not_contains negates contains", () => {
    expect(rule("not_contains", "mars", "hello world")).toBe(true);
    expect(rule("not_contains", "HELLO", "hello world")).toBe(false);
    expect(rule("not_contains", "ADMIN", ["admin"])).toBe(false);
    expect(rule("not_contains", "a", undefined)).toBe(true);
  });

  it("starts_with / ends_with: case-sensitive, strings only", () => {
    expect(rule("starts_with", "he", "hello")).toBe(true);
    expect(rule("starts_with", "He", "hello")).toBe(false);
    expect(rule("starts_with", "1", 123)).toBe(false);
    expect(rule("ends_with", "lo", "hello")).toBe(true);
    expect(rule("ends_with", "LO", "hello")).toBe(false);
    expect(rule("ends_with", "c", ["a", "b", "c"])).toBe(false);
  });

  it("greater_than / > compare numbers, or two strings", () => {
    for (const op of ["greater_than", ">"]) {
      expect(passes(op, 10, 11)).toBe(true);
      expect(passes(op, 10, 10)).toBe(false);
      expect(passes(op, 10, 9)).toBe(false);
      expect(passes(op, "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z")).toBe(true);
      expect(passes(op, 10, "11")).toBe(false);
      expect(passes(op, 10, undefined)).toBe(false);
    }
  });

  it("less_than / < ", () => {
    for (const op of ["less_than", "<"]) {
      expect(passes(op, 10, 9)).toBe(true);
      expect(passes(op, 10, 10)).toBe(false);
      expect(passes(op, "b", "a")).toBe(true);
      expect(passes(op, "10", 9)).toBe(false);
    }
  });

  it("greater_than_or_equal / >= ", () => {
    for (const op of ["greater_than_or_equal", ">="]) {
      expect(passes(op, 10, 10)).toBe(true);
      expect(passes(op, 10, 10.5)).toBe(true);
      expect(passes(op, 10, 9.99)).toBe(false);
      expect(passes(op, 10, null)).toBe(false);
    }
  });

  it("less_than_or_equal / <= ", () => {
    for (const op of ["less_than_or_equal", "<="]) {
      expect(passes(op, 10, 10)).toBe(true);
      expect(passes(op, 10, -1)).toBe(true);
      expect(passes(op, 10, 11)).toBe(false);
      expect(passes(op, "a", true)).toBe(false);
    }
  });

  it("never passes a comparison with NaN", () => {
    expect(rule("greater_than_or_equal", 1, Number.NaN)).toBe(false);
    expect(rule("less_than_or_equal", Number.NaN, 1)).toBe(false);
  });

  it("is_empty: null, missing, '', [] and {}", () => {
    expect(evaluateConditions(single("is_empty", undefined, "a.b"), {}).passed).toBe(true);
    for (const value of [null, undefined, "", [], {}]) expect(rule("is_empty", undefined, value)).toBe(true);
    for (const value of [0, false, " ", [0], { a: undefined }, new Date(0)]) {
      expect(rule("is_empty", undefined, value)).toBe(false);
    }
  });

  it("is_not_empty negates is_empty", () => {
    expect(rule("is_not_empty", undefined, "x")).toBe(true);
    expect(rule("is_not_empty", undefined, 0)).toBe(true);
    expect(rule("is_not_empty", undefined, [])).toBe(false);
    expect(rule("is_not_empty", undefined, null)).toBe(false);
  });

  it("matches_regex tests strings only", () => {
    expect(passes("matches_regex", "^ord-\\d+$", "ord-42")).toBe(true);
    expect(passes("matches_regex", "^ord-\\d+$", "ORD-42")).toBe(false);
    expect(passes("matches_regex", "4", 42)).toBe(false);
    expect(rule("matches_regex", "(", "(")).toBe(false);
  });

  it("in / not_in test membership by typed equality", () => {
    expect(rule("in", ["a", "b"], "b")).toBe(true);
    expect(rule("in", [1, 2], "1")).toBe(false);
    expect(rule("in", [{ k: 1 }], { k: 1 })).toBe(true);
    expect(rule("in", "abc", "a")).toBe(false);
    expect(rule("not_in", ["a", "b"], "c")).toBe(true);
    expect(rule("not_in", ["a", "b"], "a")).toBe(false);
  });
});

describe("evaluateConditions", () => {
  const data = { user: { profile: { age: 30, country: "NZ" } }, tags: ["vip"] };
  const conditions = (logic: "AND" | "OR"): Conditions => ({
    logic,
    rules: [
      { field: "user.profile.age", operator: "greater_than_or_equal", value: 18 },
      { field: "user.profile.country", operator: "equals", value: "US" },
    ],
  });

  it("passes with no conditions", () => {
    expect(evaluateConditions(undefined, { anything: true })).toEqual({ passed: true, results: [] });
  });

  it("AND needs every rule; OR needs any", () => {
    expect(evaluateConditions(conditions("AND"), data).passed).toBe(false);
    expect(evaluateConditions(conditions("OR"), data).passed).toBe(true);
    expect(evaluateConditions(conditions("OR"), { user: { profile: { age: 3 } } }).passed).toBe(false);
  });

  it("reports every rule with the value it saw, even after the outcome is known", () => {
    const result = evaluateConditions({ ...conditions("AND"), rules: [...conditions("AND").rules].reverse() }, data);
    expect(result.results).toEqual([
      { field: "user.profile.country", operator: "equals", passed: false, actual: "NZ" },
      { field: "user.profile.age", operator: "greater_than_or_equal", passed: true, actual: 30 },
    ]);
  });

  it("reports canonical operator names for aliases", () => {
    const result = evaluateConditions(single(">=", 1, "tags.length"), data);
    expect(result).toEqual({
      passed: true,
      results: [{ field: "tags.length", operator: "greater_than_or_equal", passed: true, actual: 1 }],
    });
  });
});

describe("describeConditions", () => {
  it("says rule by rule why conditions passed or failed, with the value each saw", () => {
    const conditions = {
      logic: "AND" as const,
      rules: [
        { field: "order.total", operator: "greater_than_or_equal" as const, value: 100 },
        { field: "order.country", operator: "in" as const, value: ["DE", "FR"] },
        { field: "coupon", operator: "is_empty" as const },
      ],
    };
    const input = { order: { total: 150, country: "US" } };
    expect(describeConditions(conditions, evaluateConditions(conditions, input))).toBe(
      "Trigger conditions did not pass; no step ran (AND): order.total greater_than_or_equal 100: passed (was 150); " +
        'order.country in ["DE","FR"]: failed (was "US"); coupon is_empty: passed (was missing)',
    );
    const passing = { ...input, order: { total: 150, country: "DE" } };
    expect(describeConditions(conditions, evaluateConditions(conditions, passing))).toMatch(/^Trigger conditions passed \(AND\): /);
  });
});
