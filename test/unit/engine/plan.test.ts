import { describe, expect, it } from "vitest";
import { planBatches } from "../../../src/engine/plan.ts";

describe("planBatches", () => {
  it("layers a diamond", () => {
    const steps = [
      { id: "a" },
      { id: "b", dependsOn: ["a"] },
      { id: "c", dependsOn: ["a"] },
      { id: "d", dependsOn: ["b", "c"] },
    ];
    expect(planBatches(steps)).toEqual([["a"], ["b", "c"], ["d"]]);
  });

  it("puts a step after its deepest dependency, not its shallowest", () => {
    const steps = [
      { id: "a" },
      { id: "b", dependsOn: ["a"] },
      { id: "c", dependsOn: ["b"] },
      { id: "d", dependsOn: ["a", "c"] },
    ];
    expect(planBatches(steps)).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  it("runs independent chains side by side", () => {
    const steps = [
      { id: "x1" },
      { id: "y1" },
      { id: "x2", dependsOn: ["x1"] },
      { id: "y2", dependsOn: ["y1"] },
      { id: "x3", dependsOn: ["x2"] },
    ];
    expect(planBatches(steps)).toEqual([["x1", "y1"], ["x2", "y2"], ["x3"]]);
  });

  it("keeps definition order within a batch, even when dependencies are declared later", () => {
    const steps = [
      { id: "late", dependsOn: ["root"] },
      { id: "zeta" },
      { id: "early", dependsOn: ["root"] },
      { id: "root" },
      { id: "alpha" },
    ];
    expect(planBatches(steps)).toEqual([
      ["zeta", "root", "alpha"],
      ["late", "early"],
    ]);
  });

  it("treats an empty dependsOn like a missing one", () => {
    expect(planBatches([{ id: "a", dependsOn: [] }, { id: "b" }])).toEqual([["a", "b"]]);
  });

  it("returns no batches for no steps", () => {
    expect(planBatches([])).toEqual([]);
  });

  it("handles a long chain without recursion limits", () => {
    const steps = Array.from({ length: 20_000 }, (_, i) => ({
      id: `s${i}`,
      dependsOn: i === 0 ? [] : [`s${i - 1}`],
    }));
    const batches = planBatches(steps);
    expect(batches).toHaveLength(20_000);
    expect(batches[19_999]).toEqual(["s19999"]);
  });

  it("throws on a cycle, an unknown id or a duplicate id", () => {
    expect(() =>
      planBatches([
        { id: "a", dependsOn: ["b"] },
        { id: "b", dependsOn: ["a"] },
      ]),
    ).toThrow(/cycle/);
    expect(() => planBatches([{ id: "a", dependsOn: ["a"] }])).toThrow(/cycle/);
    expect(() => planBatches([{ id: "a", dependsOn: ["ghost"] }])).toThrow(/unknown ghost/);
    expect(() => planBatches([{ id: "a" }, { id: "a" }])).toThrow(/duplicate step id/);
  });
});
