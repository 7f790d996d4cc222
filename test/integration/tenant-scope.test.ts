// The tenancy layer itself (db/tenant-scope.ts): what a scoped client can and cannot reach,
// through every kind of operation resolvers, services and the engine use.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopeToTenant, type TenantDb, TenantScopeError } from "../../src/db/tenant-scope.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let t: TestDatabase;
let a: TenantDb;
let aId: string;
let bId: string;
let bWorkflow: string;

beforeAll(async () => {
  t = await createTestDatabase();
  aId = (await t.db.tenant.create({ data: { slug: "a", name: "A" } })).id;
  bId = (await t.db.tenant.create({ data: { slug: "b", name: "B" } })).id;
  bWorkflow = (await t.db.workflow.create({ data: { tenantId: bId, name: "theirs" } })).id;
  await t.db.workflow.create({ data: { tenantId: aId, name: "ours" } });
  a = scopeToTenant(t.db, aId);
});
afterAll(() => t.drop());

describe("a tenant-scoped client", () => {
  it("knows its tenant", () => {
    expect(a.$tenantId).toBe(aId);
  });

  it("finds only its tenant's rows, by unique key, filter, count and aggregate", async () => {
    expect(await a.workflow.findUnique({ where: { id: bWorkflow } })).toBeNull();
    expect(await a.workflow.findFirst({ where: { name: "theirs" } })).toBeNull();
    expect((await a.workflow.findMany()).map((w) => w.name)).toEqual(["ours"]);
    expect(await a.workflow.count()).toBe(1);
    expect((await a.workflow.aggregate({ _count: { _all: true } }))._count._all).toBe(1);
    expect(await a.workflow.groupBy({ by: ["tenantId"], _count: { _all: true } })).toEqual([
      { tenantId: aId, _count: { _all: 1 } },
    ]);
    await expect(a.workflow.findUniqueOrThrow({ where: { id: bWorkflow } })).rejects.toThrow();
  });

  it("cannot override its tenant with an explicit filter", async () => {
    expect(await a.workflow.findMany({ where: { tenantId: bId } })).toEqual([]);
  });

  it("cannot change or delete another tenant's rows", async () => {
    expect((await a.workflow.updateMany({ where: { id: bWorkflow }, data: { name: "mine" } })).count).toBe(0);
    await expect(a.workflow.update({ where: { id: bWorkflow }, data: { name: "mine" } })).rejects.toThrow();
    expect((await a.workflow.deleteMany({ where: { id: bWorkflow } })).count).toBe(0);
    await expect(a.workflow.delete({ where: { id: bWorkflow } })).rejects.toThrow();
    expect(await t.db.workflow.findUniqueOrThrow({ where: { id: bWorkflow } })).toMatchObject({ name: "theirs" });
  });

  it("cannot move its own rows to another tenant", async () => {
    const ours = await a.workflow.findFirstOrThrow({ where: { name: "ours" } });
    await expect(a.workflow.update({ where: { id: ours.id }, data: { tenantId: bId } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(a.workflow.updateMany({ data: { tenantId: bId } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(
      a.workflow.update({ where: { id: ours.id }, data: { tenant: { connect: { id: bId } } } }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await expect(a.tenant.update({ where: { id: aId }, data: { id: bId } })).rejects.toBeInstanceOf(TenantScopeError);
    expect((await t.db.workflow.findUniqueOrThrow({ where: { id: ours.id } })).tenantId).toBe(aId);
    // Changing anything else is fine.
    expect((await a.workflow.update({ where: { id: ours.id }, data: { description: "still ours" } })).tenantId).toBe(aId);
  });

  it("stamps its tenant on created rows and refuses rows of another tenant", async () => {
    const created = await a.workflow.create({ data: { tenantId: aId, name: `new-${randomUUID()}` } });
    expect(created.tenantId).toBe(aId);
    await expect(a.workflow.create({ data: { tenantId: bId, name: "smuggled" } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(
      a.workflow.createMany({ data: [{ tenantId: aId, name: "x1" }, { tenantId: bId, name: "x2" }] }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await expect(
      a.workflow.create({ data: { name: "via relation", tenant: { connect: { id: bId } } } }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    expect(await t.db.workflow.count({ where: { name: { in: ["smuggled", "x1", "x2", "via relation"] } } })).toBe(0);
  });

  it("sees only its own tenant row and cannot create tenants", async () => {
    expect((await a.tenant.findMany()).map((x) => x.slug)).toEqual(["a"]);
    await expect(a.tenant.create({ data: { slug: "c", name: "C" } })).rejects.toBeInstanceOf(TenantScopeError);
  });

  it("stays scoped inside interactive transactions", async () => {
    const seen = await a.$transaction(async (tx) => ({
      tenantId: (tx as unknown as TenantDb).$tenantId,
      theirs: await tx.workflow.findUnique({ where: { id: bWorkflow } }),
      count: await tx.workflow.count({ where: { name: "theirs" } }),
    }));
    expect(seen).toEqual({ tenantId: aId, theirs: null, count: 0 });
  });
});
