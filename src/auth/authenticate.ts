// Credentials → Principal, for HTTP (`Authorization: Bearer ...`) and WebSocket (connectionParams
// `{ authorization: "Bearer ..." }`) alike. API keys start with `ssk_`; anything else is a JWT.
// Dev mode: a request without credentials runs as the dev tenant's admin (see README "Security").
import type { Db } from "../db/client.ts";
import { ensureDevTenant } from "../db/tenants.ts";
import type { JwtConfig } from "../config.ts";
import { UnauthenticatedError } from "../errors.ts";
import { anyActiveApiKey, findActiveApiKey, isApiKeyShaped } from "./api-keys.ts";
import { createJwtVerifier } from "./jwt.ts";
import type { Principal, Tenant } from "./principal.ts";

export type AuthSettings = Readonly<{
  env: "development" | "test" | "production";
  devMode: boolean | undefined;
  jwt: JwtConfig | null;
  apiKeyCacheMs: number;
}>;

export type Authenticator = {
  /** Requests without credentials are let in as the dev tenant's admin. */
  readonly devMode: boolean;
  /** Why dev mode is on, or why the server must not start; null when auth is enforced normally. */
  readonly warning: string | null;
  /** Set when a production server would run with no authentication at all: start must refuse. */
  readonly refusal: string | null;
  /** The principal for an Authorization value (header or connection param); throws UnauthenticatedError. */
  authenticate(authorization: unknown): Promise<Principal>;
};

const TENANT_CACHE_MS = 60_000;

export async function createAuthenticator(db: Db, settings: AuthSettings): Promise<Authenticator> {
  const verifyJwt = settings.jwt ? createJwtVerifier(settings.jwt) : null;
  const configured = verifyJwt !== null || (await anyActiveApiKey(db));
  const devMode = settings.devMode ?? (settings.env !== "production" && !configured);
  const devTenant = devMode ? await ensureDevTenant(db) : null;
  const refusal =
    settings.env === "production" && !configured && !devMode
      ? "No authentication is configured: create an API key (npm run apikey -- create --tenant <slug> --role admin), " +
        "set JWT_SECRET / JWT_JWKS_URL / JWT_JWKS_FILE with JWT_ISSUER and JWT_AUDIENCE, or set AUTH_DEV_MODE=true to run without authentication."
      : null;
  const warning = devMode
    ? `DEV MODE: requests without credentials run as the admin of tenant "dev"${settings.devMode ? " (AUTH_DEV_MODE=true)" : " (no API key or JWT configured)"}. Never expose this server.`
    : null;

  const keyCache = new Map<string, { principal: Principal; until: number }>();
  const tenantCache = new Map<string, { tenant: Tenant | null; until: number }>();

  async function tenantBySlug(slug: string): Promise<Tenant | null> {
    const hit = tenantCache.get(slug);
    if (hit && hit.until > Date.now()) return hit.tenant;
    const tenant = await db.tenant.findUnique({ where: { slug }, select: { id: true, slug: true } });
    tenantCache.set(slug, { tenant, until: Date.now() + TENANT_CACHE_MS });
    return tenant;
  }

  async function byApiKey(secret: string): Promise<Principal> {
    const hit = keyCache.get(secret);
    if (hit && hit.until > Date.now()) return hit.principal;
    const key = await findActiveApiKey(db, secret);
    if (!key) {
      keyCache.delete(secret);
      throw new UnauthenticatedError();
    }
    const principal: Principal = {
      kind: "api-key",
      name: `api-key:${key.name}`,
      actor: { kind: "API_KEY", id: key.id, name: key.name },
      tenant: key.tenant,
      role: key.role,
      expiresAt: null,
      rateLimitKey: `api-key:${key.id}`,
    };
    if (settings.apiKeyCacheMs > 0) keyCache.set(secret, { principal, until: Date.now() + settings.apiKeyCacheMs });
    return principal;
  }

  async function byJwt(token: string): Promise<Principal> {
    if (!verifyJwt) throw new UnauthenticatedError();
    const claims = await verifyJwt(token);
    const tenant = await tenantBySlug(claims.tenantSlug);
    if (!tenant) throw new UnauthenticatedError();
    return {
      kind: "jwt",
      name: claims.subject,
      actor: { kind: "USER", id: claims.subject, name: claims.subject },
      tenant,
      role: claims.role,
      expiresAt: claims.expiresAt,
      rateLimitKey: `jwt:${tenant.id}:${claims.subject}`,
    };
  }

  return {
    devMode,
    warning,
    refusal,
    async authenticate(authorization) {
      if (authorization === undefined || authorization === null || authorization === "") {
        if (devTenant) {
          const actor = { kind: "USER", id: "dev", name: "dev" } as const;
          return { kind: "dev", name: "dev", actor, tenant: devTenant, role: "ADMIN", expiresAt: null, rateLimitKey: null };
        }
        throw new UnauthenticatedError("Authentication required: send Authorization: Bearer <API key or token>");
      }
      const match = typeof authorization === "string" ? /^Bearer +(\S+)$/i.exec(authorization.trim()) : null;
      if (!match) throw new UnauthenticatedError("Malformed Authorization: expected Bearer <API key or token>");
      const token = match[1] as string;
      return isApiKeyShaped(token) ? byApiKey(token) : byJwt(token);
    },
  };
}
