// `npm run apikey`: run as a child process the way an operator runs it, against a test database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/auth/api-keys.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startServerProcess } from "../support/process.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = startServerProcess({ DATABASE_URL: t.url }, "src/auth/apikey-cli.ts", args);
  const code = await child.exited;
  return { code, output: child.output() };
}

describe("npm run apikey", () => {
  it("creates a key (and its tenant), stores only its hash, lists and revokes it", async () => {
    const created = await cli("create", "--tenant", "acme", "--role", "operator", "--name", "deploy bot");
    expect(created.code).toBe(0);
    expect(created.output).toContain('Created tenant "acme".');
    const secret = /^(ssk_[A-Za-z0-9_-]{43})$/m.exec(created.output)?.[1] as string;
    expect(secret).toBeDefined();
    const row = await t.db.apiKey.findFirstOrThrow({ include: { tenant: true } });
    expect(row).toMatchObject({ name: "deploy bot", role: "OPERATOR", hash: hashApiKey(secret), revokedAt: null });
    expect(row.tenant.slug).toBe("acme");
    expect(JSON.stringify(row)).not.toContain(secret.slice(4));

    const listed = await cli("list", "--tenant", "acme");
    expect(listed.output).toContain(`${row.id}  acme  operator`);
    expect(listed.output).not.toContain(secret);

    expect((await cli("revoke", row.id)).output).toContain(`Revoked ${row.id}.`);
    expect((await cli("revoke", row.id)).output).toContain("was already revoked");
    expect((await t.db.apiKey.findUniqueOrThrow({ where: { id: row.id } })).revokedAt).not.toBeNull();
  });

  it("creates a tenant on its own, once", async () => {
    expect((await cli("tenant", "globex", "--name", "Globex")).output).toMatch(/Created tenant "globex"/);
    expect((await cli("tenant", "globex")).output).toMatch(/Tenant "globex" exists/);
    expect(await t.db.tenant.count({ where: { slug: "globex" } })).toBe(1);
  });

  it("refuses bad arguments with the usage and exit code 1, writing nothing", async () => {
    const before = await t.db.apiKey.count();
    for (const args of [[], ["create", "--tenant", "acme", "--role", "root"], ["create", "--tenant", "Bad Slug!", "--role", "admin"], ["revoke", "nope"]]) {
      const result = await cli(...args);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/Usage|--role|--tenant|revoke/);
    }
    expect(await t.db.apiKey.count()).toBe(before);
  });
});
