import { describe, expect, it } from "vitest";
import { z } from "zod";
import { builtInActions, createActionRegistry } from "../../../src/engine/actions/registry.ts";
import { defineAction } from "../../../src/engine/actions/types.ts";
import { parseWorkflowDefinition, type WorkflowDefinitionInput } from "../../../src/engine/definition.ts";
import { validateSteps } from "../../../src/engine/validate-steps.ts";

const builtIns = createActionRegistry(builtInActions);

/** Issues of a definition that parses; fails the test if it does not. */
function issuesOf(definition: WorkflowDefinitionInput, actions = builtIns) {
  const parsed = parseWorkflowDefinition(definition);
  if (!parsed.ok) throw new Error(`the definition does not parse: ${JSON.stringify(parsed.issues)}`);
  return validateSteps(parsed.value, actions);
}

const one = (step: Record<string, unknown>) => ({ steps: [{ id: "a", ...step }] }) as WorkflowDefinitionInput;

describe("validateSteps: types", () => {
  it("accepts every built-in type with a valid config", () => {
    expect(
      issuesOf({
        steps: [
          { id: "a", type: "http", config: { url: "https://example.com" } },
          { id: "b", type: "delay", config: { ms: 10 } },
          { id: "c", type: "log", config: { message: "hi" } },
          { id: "d", type: "transform", config: { output: { x: 1 } } },
          { id: "e", type: "fail", config: { message: "no" } },
          { id: "f", type: "email", config: { to: "ada@example.com", subject: "Hi" } },
        ],
      }),
    ).toEqual([]);
  });

  it("rejects an unknown type, suggesting the nearest registered one", () => {
    expect(issuesOf(one({ type: "emial", config: {} }))).toEqual([
      {
        path: ["steps", "0", "type"],
        message:
          'unknown action type "emial" (did you mean "email"?); registered: http, delay, log, transform, fail, email, set_context',
      },
    ]);
    expect(issuesOf(one({ type: "slack" }))[0]?.message).toMatch(/^unknown action type "slack"; registered: /);
  });

  it("knows custom types registered by the app, and checks their config", () => {
    const slack = defineAction({
      type: "slack",
      input: z.strictObject({ channel: z.string().startsWith("#"), text: z.string() }),
      run: async () => ({ status: "completed", output: null }),
    });
    const actions = createActionRegistry([...builtInActions, slack]);
    expect(issuesOf(one({ type: "slack", config: { channel: "#ops", text: "hi" } }), actions)).toEqual([]);
    expect(issuesOf(one({ type: "slack", config: { channel: "ops", txt: "hi" } }), actions)).toEqual([
      { path: ["steps", "0", "config", "channel"], message: 'Invalid string: must start with "#"' },
      { path: ["steps", "0", "config", "text"], message: 'missing required key "text"' },
      { path: ["steps", "0", "config", "txt"], message: 'unknown key "txt" (did you mean "text"?)' },
    ]);
    // Without the registration it is just an unknown type.
    expect(issuesOf(one({ type: "slack", config: { channel: "#ops", text: "hi" } })).map((i) => i.path)).toEqual([
      ["steps", "0", "type"],
    ]);
  });
});

describe("validateSteps: config", () => {
  it("reports a typo'd key with a suggestion and the missing field it was meant to be", () => {
    expect(issuesOf(one({ type: "email", config: { to: "ada@example.com", subjet: "Hi" } }))).toEqual([
      { path: ["steps", "0", "config", "subject"], message: 'missing required key "subject"' },
      { path: ["steps", "0", "config", "subjet"], message: 'unknown key "subjet" (did you mean "subject"?)' },
    ]);
  });

  it("reports a missing config as its missing required fields", () => {
    expect(issuesOf(one({ type: "delay" }))).toEqual([
      { path: ["steps", "0", "config", "ms"], message: 'missing required key "ms"' },
    ]);
  });

  it("reports values of the wrong type or out of range", () => {
    expect(issuesOf(one({ type: "delay", config: { ms: -1 } }))).toEqual([
      { path: ["steps", "0", "config", "ms"], message: "Too small: expected number to be >=0" },
    ]);
    expect(issuesOf(one({ type: "http", config: { url: "ftp://x", method: "FETCH" } })).map((i) => i.path)).toEqual([
      ["steps", "0", "config", "method"],
      ["steps", "0", "config", "url"],
    ]);
  });

  it("lets a whole template stand for a value of any type", () => {
    expect(issuesOf(one({ type: "delay", config: { ms: "{{input.waitMs}}" } }))).toEqual([]);
    expect(issuesOf(one({ type: "delay", config: { ms: "{{ steps.plan.output.ms }}" } }))).toEqual([]);
    expect(issuesOf(one({ type: "http", config: { url: "{{input.url}}", headers: "{{input.headers}}" } }))).toEqual(
      [],
    );
    expect(issuesOf(one({ type: "email", config: { to: "{{input.recipients}}", subject: "Hi" } }))).toEqual([]);
  });

  it("treats templates inside text as a string: its content is unknown, its type is not", () => {
    expect(
      issuesOf(one({ type: "http", config: { url: "https://crm.example/users/{{input.id}}", method: "GET" } })),
    ).toEqual([]);
    expect(issuesOf(one({ type: "email", config: { to: "{{input.user}}@example.com", subject: "Hi" } }))).toEqual(
      [],
    );
    expect(issuesOf(one({ type: "delay", config: { ms: "{{input.minutes}}000" } }))).toEqual([
      { path: ["steps", "0", "config", "ms"], message: "Invalid input: expected number, received string" },
    ]);
  });

  it("still reports keys next to a template: keys are never templated", () => {
    expect(issuesOf(one({ type: "email", config: { to: "{{input.to}}", subject: "{{input.s}}", body: "x" } }))).toEqual(
      [{ path: ["steps", "0", "config", "body"], message: 'unknown key "body"' }],
    );
  });

  it("checks nested objects and arrays, excusing only what sits under a template", () => {
    const order = defineAction({
      type: "order",
      input: z.strictObject({
        items: z.array(z.strictObject({ sku: z.string().min(1), qty: z.int().positive() })).min(1),
        ship: z.strictObject({ country: z.string().length(2), express: z.boolean().default(false) }),
      }),
      run: async () => ({ status: "completed", output: null }),
    });
    const actions = createActionRegistry([order]);
    const config = {
      items: [{ sku: "A1", qty: "{{input.qty}}" }, { sku: "", qtty: 2 }, "{{input.extra}}"],
      ship: { country: "Germany", express: "{{input.fast}}" },
    };
    const at = (...path: string[]) => ["steps", "0", "config", ...path];
    expect(issuesOf(one({ type: "order", config }), actions)).toEqual([
      { path: at("items", "1", "sku"), message: "Too small: expected string to have >=1 characters" },
      { path: at("items", "1", "qty"), message: 'missing required key "qty"' },
      { path: at("items", "1", "qtty"), message: 'unknown key "qtty" (did you mean "qty"?)' },
      { path: at("ship", "country"), message: "Too big: expected string to have exactly 2 characters" },
    ]);
    const templated = { items: "{{input.items}}", ship: "{{input.ship}}" };
    expect(issuesOf(one({ type: "order", config: templated }), actions)).toEqual([]);
  });

  it("reports the branch of a union that the value's type selects", () => {
    const config = { to: ["{{input.a}}", "not-an-address"], subject: "Hi" };
    expect(issuesOf(one({ type: "email", config }))).toEqual([
      { path: ["steps", "0", "config", "to", "1"], message: "Invalid email address" },
    ]);
  });

  it("reports every problem of every step at once", () => {
    const issues = issuesOf({
      steps: [
        { id: "a", type: "email", config: { to: "a@example.com" } },
        { id: "b", type: "nope" },
        { id: "c", type: "log", config: { message: "x", level: "LOUD" } },
      ],
    });
    const paths = issues.map((i) => i.path.join("."));
    expect(paths).toEqual(["steps.0.config.subject", "steps.1.type", "steps.2.config.level"]);
  });
});

describe("validateSteps: when fields", () => {
  const steps = (when: string, dependsOn: string[] = ["b"]) =>
    ({
      steps: [
        { id: "a", type: "log", config: { message: "a" } },
        { id: "b", type: "log", dependsOn: ["a"], config: { message: "b" } },
        { id: "c", type: "log", config: { message: "c" } },
        {
          id: "d",
          type: "log",
          dependsOn,
          when: { logic: "AND", rules: [{ field: when, operator: "is_not_empty" }] },
          config: { message: "d" },
        },
      ],
    }) as WorkflowDefinitionInput;
  const FIELD = ["steps", "3", "when", "rules", "0", "field"];

  it.each(["input", "input.order.total", "steps.b.output", "steps.b.output.body.id", "steps.a.output.x"])(
    "accepts %s (the input, or the output of a direct or indirect dependency)",
    (field) => expect(issuesOf(steps(field))).toEqual([]),
  );

  it("rejects a field outside input and steps, suggesting input.", () => {
    expect(issuesOf(steps("order.total"))).toEqual([
      {
        path: FIELD,
        message:
          'must start with "input." (the run\'s input) or "steps.<id>.output" (a dependency\'s output)' +
          ' (did you mean "input.order.total"?)',
      },
    ]);
    expect(issuesOf(steps("steps.b.status"))[0]?.message).toMatch(/^must start with "input\." /);
    expect(issuesOf(steps("steps"))[0]?.path).toEqual(FIELD);
  });

  it("rejects the output of a step that is not upstream, unknown, or the step itself", () => {
    expect(issuesOf(steps("steps.c.output.ok"))).toEqual([
      {
        path: FIELD,
        message: '"c" is not a dependency of "d", so its output may not be there yet: add it to dependsOn',
      },
    ]);
    expect(issuesOf(steps("steps.ghost.output"))).toEqual([
      { path: FIELD, message: 'there is no step "ghost" in this workflow' },
    ]);
    expect(issuesOf(steps("steps.d.output"))).toEqual([
      { path: FIELD, message: 'a step\'s when cannot read its own output ("d" has not run yet)' },
    ]);
  });

  it("leaves trigger conditions alone: they read the input itself", () => {
    expect(
      issuesOf({
        trigger: { conditions: { logic: "AND", rules: [{ field: "order.total", operator: ">", value: 0 }] } },
        steps: [{ id: "a", type: "log", config: { message: "x" } }],
      }),
    ).toEqual([]);
  });
});
