// The shipped public templates are what people start from: each must be a definition createWorkflow
// accepts (shape, graph and the built-in actions), with a unique slug and name.
import { describe, expect, it } from "vitest";
import { builtInActions, createActionRegistry } from "../../src/engine/actions/registry.ts";
import { parseWorkflowDefinition } from "../../src/engine/definition.ts";
import { validateSteps } from "../../src/engine/validate-steps.ts";
import { PUBLIC_TEMPLATES } from "../../src/services/templates/catalog.ts";

describe("public templates", () => {
  const actions = createActionRegistry(builtInActions);

  it("ships a handful, each with its own slug and name", () => {
    expect(PUBLIC_TEMPLATES.length).toBeGreaterThanOrEqual(5);
    expect(new Set(PUBLIC_TEMPLATES.map((t) => t.slug)).size).toBe(PUBLIC_TEMPLATES.length);
    expect(new Set(PUBLIC_TEMPLATES.map((t) => t.name)).size).toBe(PUBLIC_TEMPLATES.length);
  });

  it.each(PUBLIC_TEMPLATES.map((t) => [t.slug, t.definition] as const))("%s is a definition createWorkflow accepts", (_slug, definition) => {
    const parsed = parseWorkflowDefinition(definition);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (parsed.ok) expect(validateSteps(parsed.value, actions)).toEqual([]);
  });
});
