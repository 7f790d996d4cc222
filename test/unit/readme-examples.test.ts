// The README's workflow definitions are what people copy: each must pass the checks createWorkflow
// runs (shape, graph and the built-in actions), or the first thing a reader tries is refused.
import { readFileSync } from "node:fs";
import { type ArgumentNode, Kind, type ObjectValueNode, parse, valueFromASTUntyped, visit } from "graphql";
import { describe, expect, it } from "vitest";
import { builtInActions, createActionRegistry } from "../../src/engine/actions/registry.ts";
import { parseWorkflowDefinition } from "../../src/engine/definition.ts";
import { validateSteps } from "../../src/engine/validate-steps.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1], text: m[2] ?? "" }));

/** Definitions in ```json blocks (objects with `steps`) and in createWorkflow mutations' input. */
function definitions(): [string, unknown][] {
  const found: [string, unknown][] = [];
  for (const [i, block] of blocks.entries()) {
    if (block.lang === "json") {
      const value: unknown = JSON.parse(block.text);
      if (typeof value === "object" && value !== null && "steps" in value) found.push([`json block ${i}`, value]);
    }
    if (block.lang === "graphql" && block.text.includes("createWorkflow")) {
      visit(parse(block.text), {
        Argument(node: ArgumentNode) {
          if (node.name.value !== "input" || node.value.kind !== Kind.OBJECT) return;
          const field = (node.value as ObjectValueNode).fields.find((f) => f.name.value === "definition");
          if (field) found.push([`graphql block ${i}`, valueFromASTUntyped(field.value)]);
        },
      });
    }
  }
  return found;
}

describe("README examples", () => {
  const examples = definitions();
  const actions = createActionRegistry(builtInActions);

  it("has the definitions this test checks", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples)("%s is a definition createWorkflow accepts", (_where, definition) => {
    const parsed = parseWorkflowDefinition(definition);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (parsed.ok) expect(validateSteps(parsed.value, actions)).toEqual([]);
  });
});
