// Who is making a request: always a tenant and a role, from credentials only (never from a header
// or argument naming a tenant). Built by authenticate.ts for HTTP and WebSocket alike.
import type { Role } from "@prisma/client";

export type { Role };

export type Tenant = Readonly<{ id: string; slug: string }>;

/**
 * Who the credentials say is acting, recorded on what they start, cancel or save: a JWT subject
 * or dev mode's admin is a USER (id = `sub`, or "dev"), an API key an API_KEY (id = the key's row
 * id, name = its name). The same shape as the engine's Actor (engine/events.ts).
 */
export type PrincipalActor = Readonly<{ kind: "USER" | "API_KEY"; id: string; name: string | null }>;

export type Principal = Readonly<{
  kind: "api-key" | "jwt" | "dev";
  /** The API key's name, the token's `sub`, or "dev". */
  name: string;
  actor: PrincipalActor;
  tenant: Tenant;
  role: Role;
  /** When the credential stops being valid (a JWT's exp); null when it does not expire. */
  expiresAt: Date | null;
  /** What rate limits count against: the API key, the token subject, or nothing (then the address). */
  rateLimitKey: string | null;
}>;

const RANK: Record<Role, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/** viewer < operator < admin: each role may do everything the ones before it may. */
export function hasRole(principal: Principal, needed: Role): boolean {
  return RANK[principal.role] >= RANK[needed];
}

export const ROLES = Object.keys(RANK) as Role[];

/** "viewer", "Operator", "ADMIN" → the Role; anything else → null. */
export function parseRole(value: unknown): Role | null {
  if (typeof value !== "string") return null;
  const upper = value.toUpperCase();
  return (ROLES as string[]).includes(upper) ? (upper as Role) : null;
}
