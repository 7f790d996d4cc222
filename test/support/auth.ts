// Credentials for tests: settings that turn JWTs on (and so dev mode off), tokens signed with
// jose, and API keys written through the same code the CLI uses.
import { SignJWT } from "jose";
import type { Role } from "../../src/auth/principal.ts";
import { createApiKey } from "../../src/auth/api-keys.ts";
import type { Db } from "../../src/db/client.ts";
import { scopeToTenant } from "../../src/db/tenant-scope.ts";

export const JWT_SECRET = "a-test-secret-that-is-long-enough-for-hs256";
export const JWT_ISSUER = "https://id.stepstream.test";
export const JWT_AUDIENCE = "stepstream-api";

/** Auth on, dev mode off; API keys re-checked on every request so revocation shows at once. */
export const AUTH_ENV = {
  JWT_SECRET,
  JWT_ISSUER,
  JWT_AUDIENCE,
  API_KEY_CACHE_MS: "0",
} as const;

export type TokenOptions = {
  tenant?: string;
  role?: string;
  sub?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  secret?: string;
  issuer?: string;
  audience?: string;
};

export async function jwt(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (options.tenant !== undefined) claims["tenant"] = options.tenant;
  if (options.role !== undefined) claims["role"] = options.role;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(options.sub ?? "user-1")
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

export const bearer = (token: string) => `Bearer ${token}`;

/** A new API key of the tenant; returns the secret and the key's id. */
export async function apiKey(db: Db, tenantId: string, role: Role, name = `${role.toLowerCase()} key`) {
  const { apiKey: key, secret } = await createApiKey(scopeToTenant(db, tenantId), { name, role });
  return { id: key.id, secret, authorization: bearer(secret) };
}
