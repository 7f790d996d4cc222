import { describe, expect, it } from "vitest";
import { parseWorkflowDefinition } from "../../../src/engine/definition.ts";

function issuesOf(input: unknown) {
  const result = parseWorkflowDefinition(input);
  if (result.ok) throw new Error("expected the definition to be rejected");
  return result.issues;
}

function accepted(input: unknown) {
  const result = parseWorkflowDefinition(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

const withRule = (rule: Record<string, unknown>) => ({
  steps: [{ id: "a", type: "noop", when: { logic: "AND", rules: [rule] } }],
});
const RULE_PATH = ["steps", "0", "when", "rules", "0"];

describe("parseWorkflowDefinition: shape", () => {
  it("accepts a full definition and fills defaults", () => {
    const value = accepted({
      timeoutMs: 60_000,
      retry: { maxAttempts: 3, backoffMs: 1000, factor: 2 },
      trigger: { conditions: { logic: "OR", rules: [{ field: "event.type", operator: "==", value: "push" }] } },
      steps: [
        { id: "fetch", type: "http.request", config: { url: "https://example.com" } },
        { id: "notify", name: "Notify", type: "custom_slack", dependsOn: ["fetch"], critical: false, timeoutMs: 5 },
      ],
    });
    expect(value.steps[0]).toEqual({
      id: "fetch",
      type: "http.request",
      config: { url: "https://example.com" },
      dependsOn: [],
      critical: true,
    });
    expect(value.steps[1]?.critical).toBe(false);
    expect(value.trigger?.conditions?.rules[0]?.operator).toBe("equals");
  });

  it("does not share default objects between steps", () => {
    const value = accepted({
      steps: [
        { id: "a", type: "x" },
        { id: "b", type: "x" },
      ],
    });
    expect(value.steps[0]?.config).not.toBe(value.steps[1]?.config);
    expect(value.steps[0]?.dependsOn).not.toBe(value.steps[1]?.dependsOn);
  });

  it("normalises every alias to its canonical operator", () => {
    const aliases = { "==": "equals", "!=": "not_equals", ">": "greater_than", "<": "less_than" } as const;
    const more = { ">=": "greater_than_or_equal", "<=": "less_than_or_equal" } as const;
    for (const [alias, canonical] of Object.entries({ ...aliases, ...more })) {
      const value = accepted(withRule({ field: "n", operator: alias, value: 1 }));
      expect(value.steps[0]?.when?.rules[0]?.operator).toBe(canonical);
    }
  });

  it("reports missing steps, and an empty step list", () => {
    expect(issuesOf({})).toEqual([{ path: ["steps"], message: expect.any(String) }]);
    expect(issuesOf({ steps: [] })).toEqual([{ path: ["steps"], message: expect.stringMatching(/>=1/) }]);
    expect(issuesOf(null)).toEqual([{ path: [], message: expect.any(String) }]);
  });

  it("reports each unknown key at its own path", () => {
    expect(issuesOf({ steps: [{ id: "a", type: "noop", dependson: ["b"] }], timeout: 5 })).toEqual([
      { path: ["steps", "0", "dependson"], message: 'unknown key "dependson"' },
      { path: ["timeout"], message: 'unknown key "timeout"' },
    ]);
    expect(
      issuesOf({ retry: { maxAttempts: 2, backoffMs: 0, jitter: true }, steps: [{ id: "a", type: "x" }] }),
    ).toEqual([{ path: ["retry", "jitter"], message: 'unknown key "jitter"' }]);
  });

  it("defaults retry.backoffMs to 0, so { maxAttempts: 1 } alone turns retries off", () => {
    const value = accepted({ retry: { maxAttempts: 1 }, steps: [{ id: "a", type: "x", retry: { maxAttempts: 2 } }] });
    expect(value.retry).toEqual({ maxAttempts: 1, backoffMs: 0 });
    expect(value.steps[0]?.retry).toEqual({ maxAttempts: 2, backoffMs: 0 });
  });

  it("checks step id, type and limits", () => {
    const paths = issuesOf({
      timeoutMs: 0,
      retry: { maxAttempts: 11, backoffMs: -1, factor: 0.5 },
      steps: [{ id: "1abc", type: "Http", name: "", timeoutMs: 1.5 }],
    }).map((i) => i.path.join("."));
    expect(paths.sort()).toEqual(
      [
        "timeoutMs",
        "retry.maxAttempts",
        "retry.backoffMs",
        "retry.factor",
        "steps.0.id",
        "steps.0.type",
        "steps.0.name",
        "steps.0.timeoutMs",
      ].sort(),
    );
  });

  it("accepts any type that matches the pattern, not only built-in actions", () => {
    expect(accepted({ steps: [{ id: "a", type: "acme.crm-sync_v2" }] }).steps[0]?.type).toBe("acme.crm-sync_v2");
  });
});

describe("parseWorkflowDefinition: conditions", () => {
  it("rejects an unknown operator", () => {
    expect(issuesOf(withRule({ field: "a", operator: "like", value: "x" }))).toEqual([
      { path: [...RULE_PATH, "operator"], message: 'unknown operator "like"' },
    ]);
  });

  it("rejects a regex that does not compile, is too long or is not a string", () => {
    expect(issuesOf(withRule({ field: "a", operator: "matches_regex", value: "(" }))).toEqual([
      { path: [...RULE_PATH, "value"], message: expect.stringMatching(/^invalid regex/) },
    ]);
    expect(issuesOf(withRule({ field: "a", operator: "matches_regex", value: "a".repeat(201) }))).toEqual([
      { path: [...RULE_PATH, "value"], message: "regex must be at most 200 characters" },
    ]);
    expect(issuesOf(withRule({ field: "a", operator: "matches_regex", value: 5 }))[0]?.path).toEqual([
      ...RULE_PATH,
      "value",
    ]);
    expect(accepted(withRule({ field: "a", operator: "matches_regex", value: "a".repeat(200) })).steps).toHaveLength(1);
  });

  it("requires an array for in / not_in", () => {
    for (const operator of ["in", "not_in"]) {
      expect(issuesOf(withRule({ field: "a", operator, value: "x" }))).toEqual([
        { path: [...RULE_PATH, "value"], message: `${operator} requires an array value` },
      ]);
      expect(accepted(withRule({ field: "a", operator, value: ["x"] })).steps).toHaveLength(1);
    }
  });

  it("rejects a value on is_empty / is_not_empty and a missing value elsewhere", () => {
    expect(issuesOf(withRule({ field: "a", operator: "is_empty", value: "" }))).toEqual([
      { path: [...RULE_PATH, "value"], message: "is_empty takes no value" },
    ]);
    expect(issuesOf(withRule({ field: "a", operator: "==" }))).toEqual([
      { path: [...RULE_PATH, "value"], message: "equals requires a value" },
    ]);
    expect(accepted(withRule({ field: "a", operator: "equals", value: null })).steps).toHaveLength(1);
  });

  it("requires string values for starts_with and comparable values for comparisons", () => {
    expect(issuesOf(withRule({ field: "a", operator: "starts_with", value: 1 }))[0]?.message).toBe(
      "starts_with requires a string value",
    );
    expect(issuesOf(withRule({ field: "a", operator: ">", value: [1] }))[0]?.message).toBe(
      "greater_than requires a number or string value",
    );
  });

  it("rejects bad logic, empty rules and malformed field paths", () => {
    const input = {
      trigger: { conditions: { logic: "XOR", rules: [] } },
      steps: [{ id: "a", type: "x", when: { logic: "AND", rules: [{ field: "a..b", operator: "is_empty" }] } }],
    };
    expect(issuesOf(input).map((i) => i.path)).toEqual([
      ["trigger", "conditions", "logic"],
      ["trigger", "conditions", "rules"],
      ["steps", "0", "when", "rules", "0", "field"],
    ]);
  });
});

describe("parseWorkflowDefinition: graph", () => {
  const step = (id: string, dependsOn: string[] = []) => ({ id, type: "noop", dependsOn });

  it("reports a duplicate id at the second occurrence", () => {
    expect(issuesOf({ steps: [step("a"), step("b"), step("a")] })).toEqual([
      { path: ["steps", "2", "id"], message: 'duplicate step id "a"' },
    ]);
  });

  it("keeps the parsed shape when only graph checks fail, and none when the shape is wrong", () => {
    const graphOnly = parseWorkflowDefinition({ steps: [step("a", ["a"])] });
    expect(graphOnly).toMatchObject({ ok: false, shape: { steps: [{ id: "a", config: {}, critical: true }] } });
    const badShape = parseWorkflowDefinition({ steps: [{ id: "a" }] });
    expect(badShape.ok || badShape.shape).toBeUndefined();
  });

  it("reports an unknown dependency at its entry", () => {
    expect(issuesOf({ steps: [step("a"), step("b", ["a", "ghost"])] })).toEqual([
      { path: ["steps", "1", "dependsOn", "1"], message: 'unknown step id "ghost"' },
    ]);
  });

  it("reports a self-dependency, not as a cycle", () => {
    expect(issuesOf({ steps: [step("a"), step("b", ["b"])] })).toEqual([
      { path: ["steps", "1", "dependsOn", "0"], message: 'step "b" depends on itself' },
    ]);
  });

  it("reports a repeated dependency", () => {
    expect(issuesOf({ steps: [step("a"), step("b", ["a", "a"])] })).toEqual([
      { path: ["steps", "1", "dependsOn", "1"], message: 'duplicate dependency "a"' },
    ]);
  });

  it("reports a cycle once, with its route", () => {
    const steps = [step("a", ["b"]), step("b", ["c"]), step("c", ["a"]), step("d", ["a"])];
    expect(issuesOf({ steps })).toEqual([
      { path: ["steps", "2", "dependsOn", "0"], message: "dependency cycle: a -> b -> c -> a" },
    ]);
  });

  it("reports a two-step cycle found from a step outside it", () => {
    const steps = [step("entry", ["x"]), step("x", ["y"]), step("y", ["x"])];
    expect(issuesOf({ steps })).toEqual([
      { path: ["steps", "2", "dependsOn", "0"], message: "dependency cycle: x -> y -> x" },
    ]);
  });

  it("reports every graph problem at once", () => {
    const steps = [step("a", ["b"]), step("b", ["a"]), step("a"), step("c", ["c", "zzz"])];
    expect(issuesOf({ steps }).map((i) => i.path.join("."))).toEqual([
      "steps.2.id",
      "steps.3.dependsOn.0",
      "steps.3.dependsOn.1",
      "steps.1.dependsOn.0",
    ]);
  });

  it("accepts a diamond", () => {
    const steps = [step("a"), step("b", ["a"]), step("c", ["a"]), step("d", ["b", "c"])];
    expect(accepted({ steps }).steps.map((s) => s.id)).toEqual(["a", "b", "c", "d"]);
  });
});
