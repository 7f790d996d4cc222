// JWTs for browser frontends, verified with jose: HS256 with a shared secret, or RS256 with keys
// from a JWKS file or URL (jose caches remote key sets and refetches on an unknown `kid`).
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { JwtConfig } from "../config.ts";
import { UnauthenticatedError } from "../errors.ts";
import { parseRole, type Role } from "./principal.ts";

export type VerifiedToken = { subject: string; tenantSlug: string; role: Role; expiresAt: Date };

export type JwtVerifier = (token: string) => Promise<VerifiedToken>;

export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const { key, algorithms } = keyOf(config);
  return async (token) => {
    const options = { algorithms, issuer: config.issuer, audience: config.audience, requiredClaims: ["exp", "sub"] };
    let payload: JWTPayload;
    try {
      ({ payload } = typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new UnauthenticatedError("Token expired");
      if (error instanceof errors.JOSEError) throw new UnauthenticatedError("Invalid credentials");
      throw error;
    }
    const tenantSlug = payload[config.tenantClaim];
    const role = parseRole(payload[config.roleClaim]);
    if (typeof tenantSlug !== "string" || !role || typeof payload.sub !== "string" || typeof payload.exp !== "number") {
      throw new UnauthenticatedError("Invalid credentials");
    }
    return { subject: payload.sub, tenantSlug, role, expiresAt: new Date(payload.exp * 1000) };
  };
}

function keyOf(config: JwtConfig): { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } {
  if (config.secret) return { key: new TextEncoder().encode(config.secret), algorithms: ["HS256"] };
  if (config.jwksUrl) return { key: createRemoteJWKSet(new URL(config.jwksUrl)), algorithms: ["RS256"] };
  if (config.jwksFile) {
    // Read once at start: a broken file fails the start, not every request.
    return { key: createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile, "utf8"))), algorithms: ["RS256"] };
  }
  throw new Error("JWT configuration without a key");
}
