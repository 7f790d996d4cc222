// API keys: 256 random bits shown once, stored only as a SHA-256 hash. A slow password hash would
// add nothing for keys this long, and a hash lookup keeps authentication to one indexed read.
import { createHash, randomBytes } from "node:crypto";
import type { ApiKey, Role } from "@prisma/client";
import type { Db } from "../db/client.ts";
import type { TenantDb } from "../db/tenant-scope.ts";
import { NotFoundError, ValidationError } from "../errors.ts";

export const API_KEY_PREFIX = "ssk_";

export type ApiKeyInfo = Omit<ApiKey, "hash">;
const INFO = { id: true, tenantId: true, name: true, role: true, prefix: true, createdAt: true, revokedAt: true } as const;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function isApiKeyShaped(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Creates a key for the client's tenant; the secret is returned here and never again. */
export async function createApiKey(db: TenantDb, input: { name: string; role: Role }): Promise<{ apiKey: ApiKeyInfo; secret: string }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) {
    throw new ValidationError([{ path: ["name"], message: "must be 1 to 200 characters" }]);
  }
  const secret = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  const apiKey = await db.apiKey.create({
    data: { tenantId: db.$tenantId, name, role: input.role, prefix: secret.slice(0, 12), hash: hashApiKey(secret) },
    select: INFO,
  });
  return { apiKey, secret };
}

/** Revokes a key of the client's tenant; revoking twice keeps the first time. */
export async function revokeApiKey(db: TenantDb, id: string): Promise<ApiKeyInfo> {
  await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  const key = await db.apiKey.findUnique({ where: { id }, select: INFO });
  if (!key) throw new NotFoundError("ApiKey", id);
  return key;
}

/** The unrevoked key with this secret, with its tenant; null for anything else. Not tenant-scoped: it finds the tenant. */
export function findActiveApiKey(db: Db, secret: string) {
  return db.apiKey.findFirst({
    where: { hash: hashApiKey(secret), revokedAt: null },
    select: { id: true, name: true, role: true, tenant: { select: { id: true, slug: true } } },
  });
}

/** Whether any unrevoked key exists in any tenant: one does, and dev mode is off by default. */
export async function anyActiveApiKey(db: Db): Promise<boolean> {
  return (await db.apiKey.count({ where: { revokedAt: null }, take: 1 })) > 0;
}
