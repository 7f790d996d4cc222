// createWorkflow and updateWorkflow over HTTP: typed payload errors with field paths, versions kept
// in WorkflowVersion, and nothing written when the input is rejected; definitions are checked
// against the app's actions (a custom "notify" type is registered here) when they are saved.
// Starts from the fixture (alpha, beta, gamma; the "other" tenant has its own alpha).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAction } from "../../src/engine/actions/types.ts";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, definitionV1, definitionV2, type Fixture } from "../support/fixture.ts";

// A custom action type, as an application registers one: saving checks its config too.
const notify = defineAction({
  type: "notify",
  input: z.strictObject({ channel: z.string().startsWith("#"), text: z.string(), urgent: z.boolean().optional() }),
  run: async () => ({ status: "completed", output: { sent: true } }),
});

let app: TestApp;
let f: Fixture;
beforeAll(async () => {
  app = await startTestApp({}, { actions: [notify] });
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const WorkflowById = graphql(`
  query MutationsTestRead($id: ID!) {
    workflow(id: $id) { id name description version isActive definition }
  }
`);

const Create = graphql(`
  mutation WorkflowsTestCreate($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id name description version isActive definition } }
      ... on ValidationError { code message issues { path message } }
      ... on Error { code message }
    }
  }
`);

const Update = graphql(`
  mutation WorkflowsTestUpdate($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) {
      __typename
      ... on UpdateWorkflowSuccess { workflow { id name description version isActive definition } }
      ... on ValidationError { code message issues { path message } }
      ... on NotFoundError { resource }
      ... on Error { code message }
    }
  }
`);

const step = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "log",
  config: { message: id },
  ...extra,
});
const oneStep = { steps: [step("only")] };

/** Creates a workflow and returns its global ID (fails the test on anything but success). */
async function created(name: string, definition: unknown = oneStep): Promise<string> {
  const { createWorkflow } = await app.query(Create, { input: { name, definition } });
  if (createWorkflow.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(createWorkflow));
  return createWorkflow.workflow.id;
}

async function storedVersions(globalId: string) {
  const id = Buffer.from(globalId, "base64url").toString().split(":")[1];
  return app.app.db.workflowVersion.findMany({ where: { workflowId: id }, orderBy: { version: "asc" } });
}

describe("createWorkflow", () => {
  it("creates version 1, active by default, and stores the definition as given", async () => {
    const definition = { timeoutMs: 60_000, steps: [step("a"), step("b", { dependsOn: ["a"] })] };
    const { createWorkflow } = await app.query(Create, {
      input: { name: "  delta  ", description: "the fourth", definition },
    });
    expect(createWorkflow).toEqual({
      __typename: "CreateWorkflowSuccess",
      workflow: {
        id: expect.any(String),
        name: "delta", // trimmed
        description: "the fourth",
        version: 1,
        isActive: true,
        definition,
      },
    });
    if (createWorkflow.__typename !== "CreateWorkflowSuccess") return;
    const versions = await storedVersions(createWorkflow.workflow.id);
    expect(versions.map((v) => [v.version, v.definition])).toEqual([[1, definition]]);
    // It is now listed and readable like any other.
    const { workflow } = await app.query(WorkflowById, { id: createWorkflow.workflow.id });
    expect(workflow).toEqual(createWorkflow.workflow);
  });

  it("creates an inactive workflow when asked", async () => {
    const { createWorkflow } = await app.query(Create, {
      input: { name: "dormant", definition: oneStep, isActive: false },
    });
    expect(createWorkflow).toMatchObject({ workflow: { isActive: false, description: null, version: 1 } });
  });

  it("allows a name that exists only in another tenant", async () => {
    await app.app.db.workflow.create({ data: { tenantId: f.otherTenantId, name: "theirs only" } });
    const { createWorkflow } = await app.query(Create, { input: { name: "theirs only", definition: oneStep } });
    expect(createWorkflow).toMatchObject({ __typename: "CreateWorkflowSuccess", workflow: { name: "theirs only" } });
  });

  const invalid: [string, { name?: string; definition?: unknown }, { path: string[]; message: string }[]][] = [
    ["an empty name", { name: "" }, [{ path: ["name"], message: "must not be empty" }]],
    ["a blank name", { name: "   " }, [{ path: ["name"], message: "must not be empty" }]],
    [
      "a 201-character name",
      { name: "x".repeat(201) },
      [{ path: ["name"], message: "must be at most 200 characters" }],
    ],
    // alpha exists in this tenant (and in the other: that one does not matter).
    ["a duplicate name", { name: "alpha" }, [{ path: ["name"], message: "a workflow with this name already exists" }]],
    [
      "a dependency cycle",
      { definition: { steps: [step("a", { dependsOn: ["b"] }), step("b", { dependsOn: ["a"] })] } },
      // The search starts at a, walks a -> b and finds b's edge back to a.
      [{ path: ["definition", "steps", "1", "dependsOn", "0"], message: "dependency cycle: a -> b -> a" }],
    ],
    [
      "an unknown dependsOn",
      { definition: { steps: [step("a"), step("b", { dependsOn: ["a", "nope"] })] } },
      [{ path: ["definition", "steps", "1", "dependsOn", "1"], message: 'unknown step id "nope"' }],
    ],
    [
      "a duplicate step id",
      { definition: { steps: [step("a"), step("a")] } },
      [{ path: ["definition", "steps", "1", "id"], message: 'duplicate step id "a"' }],
    ],
    [
      "a bad operator",
      {
        definition: {
          steps: [
            step("a", { when: { logic: "AND", rules: [{ field: "input.x", operator: "approximately", value: 1 }] } }),
          ],
        },
      },
      [
        {
          path: ["definition", "steps", "0", "when", "rules", "0", "operator"],
          message: 'unknown operator "approximately"',
        },
      ],
    ],
    [
      "an unknown key in a step",
      { definition: { steps: [step("a", { dependson: ["b"] })] } },
      [{ path: ["definition", "steps", "0", "dependson"], message: 'unknown key "dependson"' }],
    ],
  ];

  it.each(invalid)("rejects %s with a ValidationError pointing at the field", async (_what, input, issues) => {
    const before = await app.app.db.workflow.count();
    const { createWorkflow } = await app.query(Create, {
      input: { name: input.name ?? `valid-${randomUUID()}`, definition: input.definition ?? oneStep },
    });
    expect(createWorkflow).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: `Validation failed at ${issues[0]?.path.join(".")}: ${issues[0]?.message}`,
      issues,
    });
    expect(await app.app.db.workflow.count()).toBe(before); // nothing written
  });

  it.each([
    ["a string", "steps: []"],
    ["an array", [step("a")]],
    ["no steps", { steps: [] }],
  ])("rejects a definition that is %s, at a definition path", async (_what, definition) => {
    const { createWorkflow } = await app.query(Create, { input: { name: `bad-${randomUUID()}`, definition } });
    expect(createWorkflow.__typename).toBe("ValidationError");
    if (createWorkflow.__typename !== "ValidationError") return;
    expect(createWorkflow.issues.length).toBeGreaterThan(0);
    for (const issue of createWorkflow.issues) expect(issue.path[0]).toBe("definition");
  });

  it("reports every problem at once", async () => {
    const { createWorkflow } = await app.query(Create, {
      input: { name: "", definition: { steps: [step("a"), step("a", { dependsOn: ["ghost"] })] } },
    });
    expect(createWorkflow).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: "Validation failed with 3 problems",
      issues: [
        { path: ["name"], message: "must not be empty" },
        { path: ["definition", "steps", "1", "id"], message: 'duplicate step id "a"' },
        { path: ["definition", "steps", "1", "dependsOn", "0"], message: 'unknown step id "ghost"' },
      ],
    });
  });
});

describe("createWorkflow: save-time checks of steps", () => {
  const mail = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id: "mail",
    type: "email",
    dependsOn: ["b"],
    config,
    ...extra,
  });

  it("rejects a typo'd config key and the field it misses, at their paths, writing nothing", async () => {
    const before = await app.app.db.workflowVersion.count();
    const definition = { steps: [step("a"), step("b"), mail({ to: "ops@example.com", subjet: "Hi" })] };
    const { createWorkflow } = await app.query(Create, { input: { name: `typo-${randomUUID()}`, definition } });
    expect(createWorkflow).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: "Validation failed with 2 problems",
      issues: [
        { path: ["definition", "steps", "2", "config", "subject"], message: 'missing required key "subject"' },
        {
          path: ["definition", "steps", "2", "config", "subjet"],
          message: 'unknown key "subjet" (did you mean "subject"?)',
        },
      ],
    });
    expect(await app.app.db.workflowVersion.count()).toBe(before);
  });

  it("accepts templates where values are expected, of any type", async () => {
    const definition = {
      steps: [
        step("b"),
        { id: "wait", type: "delay", config: { ms: "{{input.waitMs}}" } },
        mail({ to: "{{input.recipients}}", subject: "Order {{input.orderId}}", text: "{{steps.b.output}}" }),
        { id: "ping", type: "notify", config: { channel: "{{input.channel}}", text: "hi", urgent: "{{input.vip}}" } },
      ],
    };
    const { createWorkflow } = await app.query(Create, { input: { name: `templated-${randomUUID()}`, definition } });
    expect(createWorkflow).toMatchObject({ __typename: "CreateWorkflowSuccess", workflow: { definition } });
  });

  it("reports an unknown type, a bad custom config and a when that reads nothing, all at once", async () => {
    const when = { logic: "AND", rules: [{ field: "order.total", operator: "is_empty" }] };
    const definition = {
      steps: [
        step("b"),
        { id: "typo", type: "notfiy", config: { channel: "#ops", text: "x" } },
        { id: "ping", type: "notify", config: { channel: "ops" } },
        step("vip", { dependsOn: ["b"], when }),
      ],
    };
    const { createWorkflow } = await app.query(Create, { input: { name: `bad-${randomUUID()}`, definition } });
    if (createWorkflow.__typename !== "ValidationError") throw new Error(JSON.stringify(createWorkflow));
    expect(createWorkflow.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "definition.steps.1.type",
        'unknown action type "notfiy" (did you mean "notify"?); ' +
          "registered: http, delay, log, transform, fail, email, set_context, notify",
      ],
      ["definition.steps.2.config.channel", 'Invalid string: must start with "#"'],
      ["definition.steps.2.config.text", 'missing required key "text"'],
      [
        "definition.steps.3.when.rules.0.field",
        'must start with "input." (the run\'s input) or "steps.<id>.output" (a dependency\'s output)' +
          ' (did you mean "input.order.total"?)',
      ],
    ]);
  });

  it("accepts a when on the output of an indirect dependency, and rejects one on a step not upstream", async () => {
    const when = (field: string) => ({ logic: "AND", rules: [{ field, operator: "is_not_empty" }] });
    const steps = [step("a"), step("b", { dependsOn: ["a"] }), step("c"), step("d", { dependsOn: ["b"] })];
    const ok = { steps: [...steps.slice(0, 3), { ...steps[3], when: when("steps.a.output.logged") }] };
    expect((await app.query(Create, { input: { name: `up-${randomUUID()}`, definition: ok } })).createWorkflow)
      .toMatchObject({ __typename: "CreateWorkflowSuccess" });
    const bad = { steps: [...steps.slice(0, 3), { ...steps[3], when: when("steps.c.output.logged") }] };
    const { createWorkflow } = await app.query(Create, { input: { name: `side-${randomUUID()}`, definition: bad } });
    expect(createWorkflow).toMatchObject({
      __typename: "ValidationError",
      issues: [
        {
          path: ["definition", "steps", "3", "when", "rules", "0", "field"],
          message: '"c" is not a dependency of "d", so its output may not be there yet: add it to dependsOn',
        },
      ],
    });
  });

  it("reports graph and step problems together", async () => {
    const definition = { steps: [step("a", { dependsOn: ["ghost"] }), { id: "b", type: "delay", config: {} }] };
    const { createWorkflow } = await app.query(Create, { input: { name: `both-${randomUUID()}`, definition } });
    expect(createWorkflow).toMatchObject({
      issues: [
        { path: ["definition", "steps", "0", "dependsOn", "0"], message: 'unknown step id "ghost"' },
        { path: ["definition", "steps", "1", "config", "ms"], message: 'missing required key "ms"' },
      ],
    });
  });

  it("accepts retry: { maxAttempts: 1 } without backoffMs, as the README documents", async () => {
    const definition = { retry: { maxAttempts: 1 }, steps: [step("a", { retry: { maxAttempts: 2 } })] };
    const { createWorkflow } = await app.query(Create, { input: { name: `no-retry-${randomUUID()}`, definition } });
    expect(createWorkflow).toMatchObject({ __typename: "CreateWorkflowSuccess", workflow: { definition } });
  });
});

describe("updateWorkflow", () => {
  it("keeps the version when the definition is the same (key order does not matter)", async () => {
    const definition = { steps: [step("a"), step("b", { dependsOn: ["a"] })] };
    const id = await created("same-def", definition);
    const reordered = { steps: definition.steps.map((s) => Object.fromEntries(Object.entries(s).reverse())) };
    const { updateWorkflow } = await app.query(Update, { input: { id, definition: reordered } });
    expect(updateWorkflow).toMatchObject({ __typename: "UpdateWorkflowSuccess", workflow: { version: 1, definition } });
    expect((await storedVersions(id)).map((v) => v.version)).toEqual([1]);
  });

  it("bumps the version for a new definition and keeps the old one stored", async () => {
    const id = await created("versioned", definitionV1);
    const { updateWorkflow } = await app.query(Update, { input: { id, definition: definitionV2 } });
    expect(updateWorkflow).toMatchObject({ workflow: { id, version: 2, definition: definitionV2 } });
    const again = await app.query(Update, { input: { id, definition: oneStep } });
    expect(again.updateWorkflow).toMatchObject({ workflow: { version: 3, definition: oneStep } });
    expect((await storedVersions(id)).map((v) => [v.version, v.definition])).toEqual([
      [1, definitionV1],
      [2, definitionV2],
      [3, oneStep],
    ]);
  });

  it("renames, changes and clears the description, and deactivates without a new version", async () => {
    const id = await created("to-rename");
    const renamed = await app.query(Update, { input: { id, name: "renamed", description: "now described" } });
    expect(renamed.updateWorkflow).toMatchObject({
      workflow: { name: "renamed", description: "now described", version: 1, isActive: true },
    });
    // Omitted fields stay; an explicit null clears the description.
    const off = await app.query(Update, { input: { id, isActive: false, description: null } });
    expect(off.updateWorkflow).toMatchObject({
      workflow: { name: "renamed", description: null, isActive: false, version: 1, definition: oneStep },
    });
    const kept = await app.query(Update, { input: { id } });
    expect(kept.updateWorkflow).toMatchObject({ workflow: { name: "renamed", isActive: false } });
    // Renaming to its own name is no clash.
    const same = await app.query(Update, { input: { id, name: "renamed" } });
    expect(same.updateWorkflow.__typename).toBe("UpdateWorkflowSuccess");
  });

  it("rejects a rename onto another workflow's name", async () => {
    const id = await created("will-clash");
    const { updateWorkflow } = await app.query(Update, { input: { id, name: "beta" } });
    expect(updateWorkflow).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: "Validation failed at name: a workflow with this name already exists",
      issues: [{ path: ["name"], message: "a workflow with this name already exists" }],
    });
  });

  it("returns the same NotFoundError for a missing workflow and another tenant's", async () => {
    const missing = randomUUID();
    for (const uuid of [missing, f.workflows.other]) {
      const { updateWorkflow } = await app.query(Update, {
        input: { id: encodeGlobalId("Workflow", uuid), name: "hijacked" },
      });
      expect(updateWorkflow).toEqual({
        __typename: "NotFoundError",
        code: "NOT_FOUND",
        resource: "Workflow",
        message: `Workflow "${uuid}" was not found`,
      });
    }
    const theirs = await app.app.db.workflow.findUniqueOrThrow({ where: { id: f.workflows.other } });
    expect(theirs.name).toBe("alpha");
  });

  it("writes nothing when the definition is invalid, even for the valid fields", async () => {
    const id = await created("guarded", definitionV1);
    const uuid = Buffer.from(id, "base64url").toString().split(":")[1] as string;
    const before = await app.app.db.workflow.findUniqueOrThrow({ where: { id: uuid } });
    const { updateWorkflow } = await app.query(Update, {
      input: {
        id,
        name: "guarded-renamed",
        isActive: false,
        definition: { steps: [step("a", { dependsOn: ["a"] })] },
      },
    });
    expect(updateWorkflow).toMatchObject({
      __typename: "ValidationError",
      issues: [{ path: ["definition", "steps", "0", "dependsOn", "0"], message: 'step "a" depends on itself' }],
    });
    expect(await app.app.db.workflow.findUniqueOrThrow({ where: { id: uuid } })).toEqual(before);
    expect((await storedVersions(id)).map((v) => v.version)).toEqual([1]);
  });

  it("checks a new definition against the actions too, and keeps the current version", async () => {
    const id = await created("checked-update");
    const { updateWorkflow } = await app.query(Update, {
      input: { id, name: "checked-renamed", definition: { steps: [step("a"), { id: "b", type: "log", config: {} }] } },
    });
    expect(updateWorkflow).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: 'Validation failed at definition.steps.1.config.message: missing required key "message"',
      issues: [{ path: ["definition", "steps", "1", "config", "message"], message: 'missing required key "message"' }],
    });
    const { workflow } = await app.query(WorkflowById, { id });
    expect(workflow).toMatchObject({ name: "checked-update", version: 1, definition: oneStep });
    expect((await storedVersions(id)).map((v) => v.version)).toEqual([1]);
  });

  it("rejects an empty name", async () => {
    const id = await created("named");
    const { updateWorkflow } = await app.query(Update, { input: { id, name: " " } });
    expect(updateWorkflow).toMatchObject({ issues: [{ path: ["name"], message: "must not be empty" }] });
  });

  it("rejects an ID of another type with BAD_USER_INPUT", async () => {
    const result = await app.request(Update, {
      input: { id: encodeGlobalId("Execution", f.executions.e1 as string), name: "x" },
    });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});
