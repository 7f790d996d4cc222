import { describe, expect, it } from "vitest";
import { parseWorkflowDefinition } from "../../../src/engine/definition.ts";
import { decideTrigger } from "../../../src/engine/triggers.ts";

const steps = [{ id: "a", type: "log", config: { message: "x" } }];
const listener = (definition: unknown, isActive = true) => ({
  id: "w",
  name: "w",
  isActive,
  version: 1,
  definition: parseWorkflowDefinition(definition),
});

describe("decideTrigger", () => {
  it("starts a listener without conditions, or whose conditions pass", () => {
    expect(decideTrigger(listener({ trigger: { event: "e" }, steps }), {})).toMatchObject({ start: true });
    const big = { logic: "AND", rules: [{ field: "total", operator: ">", value: 10 }] };
    expect(decideTrigger(listener({ trigger: { event: "e", conditions: big }, steps }), { total: 11 })).toMatchObject({
      start: true,
    });
  });

  it("skips an inactive listener or one with an invalid definition, saying so", () => {
    expect(decideTrigger(listener({ trigger: { event: "e" }, steps }, false), {})).toEqual({
      start: false,
      reason: "the workflow is inactive",
    });
    expect(decideTrigger(listener({ steps: [] }), {})).toEqual({
      start: false,
      reason: "the workflow's current definition is invalid",
    });
  });

  it("names every failing rule with what the data held, long values cut", () => {
    const conditions = {
      logic: "AND",
      rules: [
        { field: "total", operator: ">=", value: 100 },
        { field: "country", operator: "equals", value: "DE" },
        { field: "note", operator: "is_empty" },
      ],
    };
    const decision = decideTrigger(listener({ trigger: { event: "e", conditions }, steps }), {
      total: 120,
      note: "n".repeat(300),
    });
    expect(decision.start).toBe(false);
    if (decision.start) return;
    expect(decision.reason).toBe(
      `trigger conditions did not pass: country equals "DE" (missing); note is_empty (got "${"n".repeat(99)}…)`,
    );
  });
});
