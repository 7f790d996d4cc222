// Authentication over HTTP: API keys and JWTs, every way a credential can be wrong, and roles
// (a viewer may read, an operator may also run, only an admin may change workflows).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { AUTH_ENV, apiKey, bearer, jwt } from "../support/auth.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

const Workflows = graphql(`
  query AuthWorkflows {
    workflows(first: 10) { totalCount edges { node { name } } }
  }
`);

const CreateWorkflow = graphql(`
  mutation AuthCreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) { __typename ... on Error { code message } }
  }
`);

const UpdateWorkflow = graphql(`
  mutation AuthUpdateWorkflow($input: UpdateWorkflowInput!) {
    updateWorkflow(input: $input) { __typename ... on Error { code message } }
  }
`);

const StartExecution = graphql(`
  mutation AuthStartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const CancelExecution = graphql(`
  mutation AuthCancelExecution($input: CancelExecutionInput!) {
    cancelExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const RetryExecution = graphql(`
  mutation AuthRetryExecution($input: RetryExecutionInput!) {
    retryExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const CreateApiKey = graphql(`
  mutation AuthCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      __typename
      ... on CreateApiKeySuccess { created { secret apiKey { id name role prefix revokedAt } } }
      ... on Error { code message }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation AuthRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input) {
      __typename
      ... on RevokeApiKeySuccess { apiKey { id revokedAt } }
      ... on Error { code message }
    }
  }
`);

const ApiKeys = graphql(`
  query AuthApiKeys {
    apiKeys(first: 50) { totalCount edges { node { name role prefix } } }
  }
`);

const DeleteExecution = graphql(`
  mutation AuthDeleteExecution($input: DeleteExecutionInput!) {
    deleteExecution(input: $input) {
      __typename
      ... on DeleteExecutionSuccess { deleted { deletedId } }
      ... on Error { code message }
    }
  }
`);

let app: TestApp;
let f: Fixture;
let keys: Record<"viewer" | "operator" | "admin", { id: string; authorization: string }>;
const definition = { steps: [{ id: "a", type: "log", config: { message: "hi" } }] };

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false" });
  f = await createFixture(app.app.db);
  keys = {
    viewer: await apiKey(app.app.db, f.tenantId, "VIEWER"),
    operator: await apiKey(app.app.db, f.tenantId, "OPERATOR"),
    admin: await apiKey(app.app.db, f.tenantId, "ADMIN"),
  };
});
afterAll(() => app?.stop());

const wf = (id: string) => encodeGlobalId("Workflow", id);
const ex = (id: string) => encodeGlobalId("Execution", id);

async function expectUnauthenticated(authorization: string | undefined, message: RegExp = /Invalid credentials/) {
  const res = await app.as(authorization).request(Workflows);
  expect(res.status).toBe(401);
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
  expect(res.errors?.[0]?.message).toMatch(message);
}

describe("without valid credentials", () => {
  it("refuses a request with no credentials (dev mode is off once JWTs are configured)", async () => {
    await expectUnauthenticated(undefined, /Authentication required/);
    const res = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("refuses a malformed Authorization header", async () => {
    await expectUnauthenticated("Basic dXNlcjpwYXNz", /Malformed Authorization/);
    await expectUnauthenticated("Bearer", /Malformed Authorization/);
  });

  it("refuses an unknown API key", async () => {
    await expectUnauthenticated(bearer(`ssk_${"A".repeat(43)}`));
  });

  it("refuses a revoked API key at once (API_KEY_CACHE_MS=0)", async () => {
    const key = await apiKey(app.app.db, f.tenantId, "ADMIN", "soon revoked");
    expect((await app.as(key.authorization).query(Workflows)).workflows.totalCount).toBe(3);
    await app.app.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await expectUnauthenticated(key.authorization);
  });

  it("refuses a token with a bad signature", async () => {
    await expectUnauthenticated(bearer(await jwt({ tenant: "dev", role: "admin", secret: "another-secret-of-enough-length-0123456789" })));
  });

  it("refuses an expired token, saying so", async () => {
    await expectUnauthenticated(bearer(await jwt({ tenant: "dev", role: "admin", expiresIn: -60 })), /Token expired/);
  });

  it("refuses a token for another audience or from another issuer", async () => {
    await expectUnauthenticated(bearer(await jwt({ tenant: "dev", role: "admin", audience: "someone-else" })));
    await expectUnauthenticated(bearer(await jwt({ tenant: "dev", role: "admin", issuer: "https://evil.test" })));
  });

  it("refuses a token without a known tenant or a role", async () => {
    await expectUnauthenticated(bearer(await jwt({ tenant: "nobody", role: "admin" })));
    await expectUnauthenticated(bearer(await jwt({ role: "admin" })));
    await expectUnauthenticated(bearer(await jwt({ tenant: "dev", role: "superuser" })));
  });

  it('refuses an unsigned token (alg "none")', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `${part({ alg: "none" })}.${part({ sub: "x", tenant: "dev", role: "admin", exp, iss: AUTH_ENV.JWT_ISSUER, aud: AUTH_ENV.JWT_AUDIENCE })}.`;
    await expectUnauthenticated(bearer(token));
  });
});

describe("with valid credentials", () => {
  it("serves an API key its own tenant", async () => {
    const { workflows } = await app.as(keys.viewer.authorization).query(Workflows);
    expect(workflows.edges.map((e) => e.node.name).sort()).toEqual(["alpha", "beta", "gamma"]);
  });

  it("serves a JWT the tenant of its claim", async () => {
    const other = await app.as(bearer(await jwt({ tenant: "other", role: "viewer" }))).query(Workflows);
    expect(other.workflows.edges.map((e) => e.node.name)).toEqual(["alpha"]);
    const dev = await app.as(bearer(await jwt({ tenant: "dev", role: "VIEWER" }))).query(Workflows);
    expect(dev.workflows.totalCount).toBe(3);
  });
});

describe("roles", () => {
  const counts = async () => ({
    workflows: await app.app.db.workflow.count(),
    versions: await app.app.db.workflowVersion.count(),
    executions: await app.app.db.execution.count(),
    events: await app.app.db.executionEvent.count(),
  });

  it("a viewer may run no mutation: each answers FORBIDDEN and writes nothing", async () => {
    const viewer = app.as(keys.viewer.authorization);
    const before = await counts();
    const results = [
      (await viewer.query(CreateWorkflow, { input: { name: "nope", definition } })).createWorkflow,
      (await viewer.query(UpdateWorkflow, { input: { id: wf(f.workflows.alpha), name: "renamed" } })).updateWorkflow,
      (await viewer.query(StartExecution, { input: { workflowId: wf(f.workflows.alpha) } })).startExecution,
      (await viewer.query(CancelExecution, { input: { id: ex(f.executions.e4 as string) } })).cancelExecution,
      (await viewer.query(RetryExecution, { input: { id: ex(f.executions.e2 as string) } })).retryExecution,
    ];
    for (const result of results) {
      expect(result).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    }
    expect(await counts()).toEqual(before);
  });

  it("an operator may start, cancel and retry, but not create or update workflows", async () => {
    const operator = app.as(keys.operator.authorization);
    const created = await operator.query(CreateWorkflow, { input: { name: "nope", definition } });
    expect(created.createWorkflow).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    const updated = await operator.query(UpdateWorkflow, { input: { id: wf(f.workflows.alpha), isActive: false } });
    expect(updated.updateWorkflow).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });

    const started = await operator.query(StartExecution, { input: { workflowId: wf(f.workflows.beta) } });
    expect(started.startExecution.__typename).toBe("StartExecutionSuccess");
    const cancelled = await operator.query(CancelExecution, { input: { id: ex(f.executions.e5 as string) } });
    expect(cancelled.cancelExecution.__typename).toBe("CancelExecutionSuccess");
    const retried = await operator.query(RetryExecution, { input: { id: ex(f.executions.e2 as string) } });
    expect(retried.retryExecution.__typename).toBe("RetryExecutionSuccess");
    const row = await app.app.db.execution.findUniqueOrThrow({ where: { id: f.executions.e5 as string } });
    // Recorded as the key's actor: its id, kind and name.
    expect(row).toMatchObject({ cancelledBy: keys.operator.id, cancelledByKind: "API_KEY", cancelledByName: "operator key" });
  });

  it("only an admin may list, create or revoke API keys, or delete executions", async () => {
    for (const role of ["viewer", "operator"] as const) {
      const who = app.as(keys[role].authorization);
      const listed = await who.request(ApiKeys);
      expect(listed.data ?? null).toBeNull();
      expect(listed.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
      const created = await who.query(CreateApiKey, { input: { name: "sneaky", role: "ADMIN" } });
      expect(created.createApiKey).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
      const revoked = await who.query(RevokeApiKey, { input: { id: encodeGlobalId("ApiKey", keys.admin.id) } });
      expect(revoked.revokeApiKey).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
      const deleted = await who.query(DeleteExecution, { input: { id: ex(f.executions.e1 as string) } });
      expect(deleted.deleteExecution).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    }
    expect(await app.app.db.apiKey.count({ where: { name: "sneaky" } })).toBe(0);
    expect(await app.app.db.execution.count({ where: { id: f.executions.e1 as string } })).toBe(1);
  });

  it("an admin manages API keys over GraphQL: the secret is shown once and works until revoked", async () => {
    const admin = app.as(keys.admin.authorization);
    const created = await admin.query(CreateApiKey, { input: { name: "ci pipeline", role: "OPERATOR" } });
    if (created.createApiKey.__typename !== "CreateApiKeySuccess") throw new Error(JSON.stringify(created));
    const { secret, apiKey: key } = created.createApiKey.created;
    expect(key).toMatchObject({ name: "ci pipeline", role: "OPERATOR", revokedAt: null, prefix: secret.slice(0, 12) });
    const stored = await app.app.db.apiKey.findFirstOrThrow({ where: { name: "ci pipeline" } });
    expect(stored.hash).not.toContain(secret.slice(4));
    const listed = await admin.query(ApiKeys);
    expect(listed.apiKeys.edges.map((e) => e.node.name)).toContain("ci pipeline");
    expect(JSON.stringify(listed)).not.toContain(secret);

    const ci = app.as(bearer(secret));
    expect((await ci.query(Workflows)).workflows.totalCount).toBeGreaterThan(0);
    const revoked = await admin.query(RevokeApiKey, { input: { id: key.id } });
    expect(revoked.revokeApiKey).toMatchObject({ __typename: "RevokeApiKeySuccess", apiKey: { id: key.id } });
    await expectUnauthenticated(bearer(secret));
    const invalid = await admin.query(CreateApiKey, { input: { name: " ", role: "VIEWER" } });
    expect(invalid.createApiKey).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
  });

  it("an admin may delete a finished execution, not a running one", async () => {
    const admin = app.as(keys.admin.authorization);
    const running = await admin.query(DeleteExecution, { input: { id: ex(f.executions.e4 as string) } });
    expect(running.deleteExecution).toMatchObject({ __typename: "InvalidStateError", code: "INVALID_STATE" });
    const id = f.executions.e7 as string;
    const deleted = await admin.query(DeleteExecution, { input: { id: ex(id) } });
    expect(deleted.deleteExecution).toEqual({ __typename: "DeleteExecutionSuccess", deleted: { deletedId: ex(id) } });
    expect(await app.app.db.execution.count({ where: { id } })).toBe(0);
    expect(await app.app.db.executionEvent.count({ where: { executionId: id } })).toBe(0);
    const again = await admin.query(DeleteExecution, { input: { id: ex(id) } });
    expect(again.deleteExecution).toMatchObject({ __typename: "NotFoundError" });
  });

  it("an admin may create and update workflows", async () => {
    const admin = app.as(keys.admin.authorization);
    const created = await admin.query(CreateWorkflow, { input: { name: `made-${randomUUID()}`, definition } });
    expect(created.createWorkflow.__typename).toBe("CreateWorkflowSuccess");
    const updated = await admin.query(UpdateWorkflow, { input: { id: wf(f.workflows.gamma), description: "by admin" } });
    expect(updated.updateWorkflow.__typename).toBe("UpdateWorkflowSuccess");
  });

  it("a JWT's role counts like a key's", async () => {
    const viewer = app.as(bearer(await jwt({ tenant: "dev", role: "viewer" })));
    const res = await viewer.query(StartExecution, { input: { workflowId: wf(f.workflows.beta) } });
    expect(res.startExecution).toMatchObject({ __typename: "ForbiddenError" });
  });
});
