// The seeded workflows are what a new user looks at first: each version must be a definition the
// API would accept today, checked the way createWorkflow checks it (built-in actions only).
import { describe, expect, it } from "vitest";
import { builtInActions, createActionRegistry } from "../../../src/engine/actions/registry.ts";
import { parseWorkflowDefinition } from "../../../src/engine/definition.ts";
import { validateSteps } from "../../../src/engine/validate-steps.ts";
import { WORKFLOWS } from "../../../src/seed/workflows.ts";

const actions = createActionRegistry(builtInActions);

describe("seeded workflow definitions", () => {
  const versions = WORKFLOWS.flatMap((w) => w.versions.map((v, i) => [`${w.name} v${i + 1}`, v.definition] as const));

  it.each(versions)("%s passes save-time validation", (_name, definition) => {
    const parsed = parseWorkflowDefinition(definition);
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    if (parsed.ok) expect(validateSteps(parsed.value, actions)).toEqual([]);
  });
});
