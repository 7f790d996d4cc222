// Workflow templates: the shipped public ones, a tenant's private ones (invisible to others),
// listing by category and search, creating a workflow from one (validated, counted), changing
// and deleting a tenant's own (public ones are read-only), and roles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDevTenant } from "../../src/db/tenants.ts";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { PUBLIC_TEMPLATES } from "../../src/services/templates/catalog.ts";
import { graphql } from "../generated/gql.ts";
import { type Requester, startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey } from "../support/auth.ts";

const Templates = graphql(`
  query Templates($first: Int, $after: String, $category: String, $search: String) {
    workflowTemplates(first: $first, after: $after, category: $category, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name description category tags definition isPublic usageCount } }
    }
  }
`);

const TemplateNode = graphql(`
  query TemplateNode($id: ID!) {
    node(id: $id) { __typename ... on WorkflowTemplate { name usageCount } }
  }
`);

const CreateTemplate = graphql(`
  mutation CreateTemplate($input: CreateWorkflowTemplateInput!) {
    createWorkflowTemplate(input: $input) {
      __typename
      ... on CreateWorkflowTemplateSuccess { template { id name isPublic usageCount tags } }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

const FromTemplate = graphql(`
  mutation FromTemplate($input: CreateWorkflowFromTemplateInput!) {
    createWorkflowFromTemplate(input: $input) {
      __typename
      ... on CreateWorkflowSuccess { workflow { id name description version definition triggerEvent isActive } }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

const UpdateTemplate = graphql(`
  mutation UpdateTemplate($input: UpdateWorkflowTemplateInput!) {
    updateWorkflowTemplate(input: $input) {
      __typename
      ... on UpdateWorkflowTemplateSuccess { template { id name description category tags definition usageCount } }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

const DeleteTemplate = graphql(`
  mutation DeleteTemplate($input: DeleteWorkflowTemplateInput!) {
    deleteWorkflowTemplate(input: $input) {
      __typename
      ... on DeleteWorkflowTemplateSuccess { deleted { deletedId } }
      ... on Error { code message }
    }
  }
`);

let app: TestApp;
let admin: Requester;
let viewer: Requester;
let stranger: Requester;
let privateId: string;

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false" });
  const tenant = await ensureDevTenant(app.app.db);
  admin = app.as((await apiKey(app.app.db, tenant.id, "ADMIN")).authorization);
  viewer = app.as((await apiKey(app.app.db, tenant.id, "VIEWER")).authorization);
  const other = await app.app.db.tenant.create({ data: { slug: "templates-other", name: "Other" } });
  stranger = app.as((await apiKey(app.app.db, other.id, "ADMIN")).authorization);
  const { createWorkflowTemplate } = await admin.query(CreateTemplate, {
    input: {
      name: "Zz team checklist",
      description: "Our own release checklist",
      category: "operations",
      tags: ["release", "release"],
      definition: { steps: [{ id: "remind", type: "log", config: { message: "check the changelog" } }] },
    },
  });
  if (createWorkflowTemplate.__typename !== "CreateWorkflowTemplateSuccess") throw new Error(JSON.stringify(createWorkflowTemplate));
  expect(createWorkflowTemplate.template).toMatchObject({ isPublic: false, usageCount: 0, tags: ["release"] });
  privateId = createWorkflowTemplate.template.id;
});
afterAll(() => app?.stop());

describe("workflowTemplates", () => {
  it("lists the public templates and the tenant's own, by name, in pages", async () => {
    const { workflowTemplates } = await viewer.query(Templates, { first: 100 });
    const names = workflowTemplates.edges.map((e) => e.node.name);
    expect(names).toEqual([...PUBLIC_TEMPLATES.map((t) => t.name), "Zz team checklist"].sort());
    expect(workflowTemplates.totalCount).toBe(PUBLIC_TEMPLATES.length + 1);
    expect(workflowTemplates.edges.find((e) => e.node.name === "Zz team checklist")?.node.isPublic).toBe(false);
    expect(workflowTemplates.edges.filter((e) => e.node.isPublic)).toHaveLength(PUBLIC_TEMPLATES.length);

    const first = await viewer.query(Templates, { first: 2 });
    const next = await viewer.query(Templates, { first: 2, after: first.workflowTemplates.pageInfo.endCursor });
    expect([...first.workflowTemplates.edges, ...next.workflowTemplates.edges].map((e) => e.node.name)).toEqual(names.slice(0, 4));
  });

  it("filters by category and by a search over name, description and tags", async () => {
    const ops = await viewer.query(Templates, { category: "Operations" });
    expect(ops.workflowTemplates.edges.map((e) => e.node.name)).toEqual(["Incident escalation", "Zz team checklist"]);
    const byTag = await viewer.query(Templates, { search: "ETL" });
    expect(byTag.workflowTemplates.edges.map((e) => e.node.name)).toEqual(["Data sync"]);
    const byDescription = await viewer.query(Templates, { search: "receipt" });
    expect(byDescription.workflowTemplates.edges.map((e) => e.node.name)).toEqual(["Order fulfillment"]);
    const literal = await viewer.query(Templates, { search: "%" });
    expect(literal.workflowTemplates.totalCount).toBe(0);
  });

  it("hides a tenant's own templates from every other tenant", async () => {
    const { workflowTemplates } = await stranger.query(Templates, { first: 100 });
    expect(workflowTemplates.edges.map((e) => e.node.name)).not.toContain("Zz team checklist");
    expect((await stranger.query(TemplateNode, { id: privateId })).node).toBeNull();
    const { createWorkflowFromTemplate } = await stranger.query(FromTemplate, { input: { templateId: privateId, name: "mine" } });
    expect(createWorkflowFromTemplate).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
  });
});

describe("createWorkflowTemplate", () => {
  it("checks the definition like createWorkflow and writes nothing when it is refused", async () => {
    const { createWorkflowTemplate } = await admin.query(CreateTemplate, {
      input: { name: "broken", tags: ["x".repeat(51)], definition: { steps: [{ id: "a", type: "emial", config: {} }] } },
    });
    expect(createWorkflowTemplate).toMatchObject({ __typename: "ValidationError" });
    if (createWorkflowTemplate.__typename !== "ValidationError") return;
    expect(createWorkflowTemplate.issues.map((i) => i.path)).toEqual([["tags"], ["definition", "steps", "0", "type"]]);
    expect((await viewer.query(Templates, { search: "broken" })).workflowTemplates.totalCount).toBe(0);
  });

  it("is FORBIDDEN for a viewer", async () => {
    const { createWorkflowTemplate } = await viewer.query(CreateTemplate, {
      input: { name: "nope", definition: { steps: [{ id: "a", type: "log", config: { message: "x" } }] } },
    });
    expect(createWorkflowTemplate).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
  });
});

describe("createWorkflowFromTemplate", () => {
  const publicId = async (name: string) => {
    const { workflowTemplates } = await viewer.query(Templates, { search: name });
    return workflowTemplates.edges[0]?.node as { id: string; usageCount: number; definition: unknown };
  };

  it("creates a workflow with the template's definition and counts the use", async () => {
    const template = await publicId("Form submission follow-up");
    const { createWorkflowFromTemplate } = await admin.query(FromTemplate, { input: { templateId: template.id, name: "follow-ups" } });
    expect(createWorkflowFromTemplate).toMatchObject({
      __typename: "CreateWorkflowSuccess",
      workflow: { name: "follow-ups", version: 1, isActive: true, triggerEvent: "submission_completed" },
    });
    if (createWorkflowFromTemplate.__typename !== "CreateWorkflowSuccess") return;
    expect(createWorkflowFromTemplate.workflow.definition).toEqual(template.definition);
    expect((await viewer.query(TemplateNode, { id: template.id })).node).toMatchObject({
      __typename: "WorkflowTemplate",
      usageCount: template.usageCount + 1,
    });
  });

  it("refuses a taken name with a field path and counts nothing", async () => {
    const template = await publicId("Welcome email");
    expect((await admin.query(FromTemplate, { input: { templateId: template.id, name: "welcome" } })).createWorkflowFromTemplate.__typename).toBe(
      "CreateWorkflowSuccess",
    );
    const { createWorkflowFromTemplate } = await admin.query(FromTemplate, { input: { templateId: template.id, name: "welcome" } });
    expect(createWorkflowFromTemplate).toMatchObject({ __typename: "ValidationError", issues: [{ path: ["name"] }] });
    expect((await publicId("Welcome email")).usageCount).toBe(template.usageCount + 1);
  });

  it("works with the tenant's own template", async () => {
    const { createWorkflowFromTemplate } = await admin.query(FromTemplate, { input: { templateId: privateId, name: "release" } });
    expect(createWorkflowFromTemplate).toMatchObject({ __typename: "CreateWorkflowSuccess", workflow: { name: "release" } });
  });

  it("is FORBIDDEN for a viewer; an unknown template is not found", async () => {
    const template = await publicId("Data sync");
    const { createWorkflowFromTemplate } = await viewer.query(FromTemplate, { input: { templateId: template.id, name: "nope" } });
    expect(createWorkflowFromTemplate).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    const missing = encodeGlobalId("WorkflowTemplate", "00000000-0000-4000-8000-000000000000");
    const { createWorkflowFromTemplate: unknown } = await admin.query(FromTemplate, { input: { templateId: missing, name: "nope" } });
    expect(unknown).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    expect((await publicId("Data sync")).usageCount).toBe(template.usageCount);
  });
});

describe("updateWorkflowTemplate and deleteWorkflowTemplate", () => {
  const definition = { steps: [{ id: "greet", type: "log", config: { message: "hello" } }] };
  async function ownTemplate(name: string) {
    const { createWorkflowTemplate } = await admin.query(CreateTemplate, {
      input: { name, description: "first words", category: "onboarding", tags: ["a", "b"], definition },
    });
    if (createWorkflowTemplate.__typename !== "CreateWorkflowTemplateSuccess") throw new Error(JSON.stringify(createWorkflowTemplate));
    return createWorkflowTemplate.template.id;
  }
  const publicId = async () => {
    const { workflowTemplates } = await admin.query(Templates, { first: 100 });
    return (workflowTemplates.edges.find((e) => e.node.isPublic)?.node.id ?? "") as string;
  };

  it("changes only the fields given, clears with null, and a workflow made before keeps its definition", async () => {
    const id = await ownTemplate("Greeter");
    const { createWorkflowFromTemplate: made } = await admin.query(FromTemplate, { input: { templateId: id, name: "greeter-1" } });
    if (made.__typename !== "CreateWorkflowSuccess") throw new Error(JSON.stringify(made));
    const changed = { steps: [{ id: "greet", type: "log", config: { message: "welcome" } }] };
    const { updateWorkflowTemplate } = await admin.query(UpdateTemplate, {
      input: { id, name: "Greeter v2", category: null, tags: ["b", "c", "c"], definition: changed },
    });
    expect(updateWorkflowTemplate).toEqual({
      __typename: "UpdateWorkflowTemplateSuccess",
      template: { id, name: "Greeter v2", description: "first words", category: null, tags: ["b", "c"], definition: changed, usageCount: 1 },
    });
    expect(made.workflow.definition).toEqual(definition);
    // The next workflow made from it gets the new definition.
    const { createWorkflowFromTemplate: next } = await admin.query(FromTemplate, { input: { templateId: id, name: "greeter-2" } });
    expect(next).toMatchObject({ __typename: "CreateWorkflowSuccess", workflow: { definition: changed } });
  });

  it("checks what it is given like createWorkflowTemplate and writes nothing when it is refused", async () => {
    const id = await ownTemplate("Strict");
    const { updateWorkflowTemplate } = await admin.query(UpdateTemplate, {
      input: { id, name: "", definition: { steps: [{ id: "a", type: "emial", config: {} }] } },
    });
    expect(updateWorkflowTemplate).toMatchObject({ __typename: "ValidationError" });
    if (updateWorkflowTemplate.__typename !== "ValidationError") return;
    expect(updateWorkflowTemplate.issues.map((i) => i.path)).toEqual([["name"], ["definition", "steps", "0", "type"]]);
    const { node } = await admin.query(TemplateNode, { id });
    expect(node).toMatchObject({ name: "Strict" });
  });

  it("deletes the tenant's own; a public one is FORBIDDEN, another tenant's or an unknown one not found", async () => {
    const id = await ownTemplate("Short-lived");
    const { createWorkflowFromTemplate: made } = await admin.query(FromTemplate, { input: { templateId: id, name: "short-lived-1" } });
    expect(made.__typename).toBe("CreateWorkflowSuccess");
    expect((await stranger.query(DeleteTemplate, { input: { id } })).deleteWorkflowTemplate).toMatchObject({ __typename: "NotFoundError" });
    expect((await stranger.query(UpdateTemplate, { input: { id, name: "mine" } })).updateWorkflowTemplate).toMatchObject({
      __typename: "NotFoundError",
    });
    expect((await viewer.query(DeleteTemplate, { input: { id } })).deleteWorkflowTemplate).toMatchObject({ __typename: "ForbiddenError" });
    expect((await admin.query(DeleteTemplate, { input: { id } })).deleteWorkflowTemplate).toEqual({
      __typename: "DeleteWorkflowTemplateSuccess",
      deleted: { deletedId: id },
    });
    expect((await admin.query(TemplateNode, { id })).node).toBeNull();
    expect((await admin.query(DeleteTemplate, { input: { id } })).deleteWorkflowTemplate).toMatchObject({ __typename: "NotFoundError" });
    // The workflow made from it stays.
    if (made.__typename === "CreateWorkflowSuccess") expect(made.workflow.definition).toEqual(definition);

    const shipped = await publicId();
    expect((await admin.query(DeleteTemplate, { input: { id: shipped } })).deleteWorkflowTemplate).toMatchObject({
      __typename: "ForbiddenError",
      code: "FORBIDDEN",
    });
    expect((await admin.query(UpdateTemplate, { input: { id: shipped, name: "hijacked" } })).updateWorkflowTemplate).toMatchObject({
      __typename: "ForbiddenError",
    });
    expect((await admin.query(TemplateNode, { id: shipped })).node).not.toMatchObject({ name: "hijacked" });
  });
});
