import { describe, expect, it } from "vitest";
import { evaluateConditions } from "../../../src/engine/conditions.ts";
import { parseWorkflowDefinition } from "../../../src/engine/definition.ts";
import { compileRegex, regexMatches } from "../../../src/engine/regex.ts";

describe("matches_regex on RE2", () => {
  it("matches like RegExp#test for ordinary patterns", () => {
    expect(regexMatches("^ord-\\d+$", "ord-42")).toBe(true);
    expect(regexMatches("b", "abc")).toBe(true);
    expect(regexMatches("^b", "abc")).toBe(false);
  });

  it("does not backtrack catastrophically: (a+)+$ against 50,000 a's and a '!' returns", () => {
    // With JavaScript's RegExp this input would not finish in any reasonable time.
    const rule = { logic: "AND" as const, rules: [{ field: "s", operator: "matches_regex" as const, value: "(a+)+$" }] };
    expect(evaluateConditions(rule, { s: `${"a".repeat(50_000)}!` }).passed).toBe(false);
    expect(regexMatches("^(a+)+!$", `${"a".repeat(50_000)}!`)).toBe(true);
  });

  it("rejects lookaround and backreferences when a definition is saved", () => {
    for (const pattern of ["(?=x)", "(a)\\1"]) {
      const parsed = parseWorkflowDefinition({
        steps: [{ id: "a", type: "log", when: { logic: "AND", rules: [{ field: "x", operator: "matches_regex", value: pattern }] } }],
      });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.issues[0]?.message).toMatch(/RE2 syntax/);
    }
    expect(compileRegex("(?=x)").ok).toBe(false);
  });
});
