// JWT verification against real key sources: RS256 keys from a JWKS file and from a JWKS URL
// served over HTTP, custom claim names, and the refusals (another key, an HS256 token where RS256
// is expected, missing claims).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwtVerifier } from "../../src/auth/jwt.ts";
import type { JwtConfig } from "../../src/config.ts";
import { UnauthenticatedError } from "../../src/errors.ts";

const base = { issuer: "https://id.test", audience: "api", tenantClaim: "tenant", roleClaim: "role" };
let signer: CryptoKey;
let stranger: CryptoKey;
let jwks: { keys: JWK[] };
let dir: string;
let server: http.Server;
let jwksUrl: string;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signer = pair.privateKey;
  stranger = (await generateKeyPair("RS256")).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
  dir = mkdtempSync(path.join(tmpdir(), "stepstream-jwks-"));
  writeFileSync(path.join(dir, "jwks.json"), JSON.stringify(jwks));
  server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

function token(claims: Record<string, unknown>, key: CryptoKey | Uint8Array = signer, alg = "RS256") {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid: "k1" })
    .setSubject("alice")
    .setIssuer(base.issuer)
    .setAudience(base.audience)
    .setExpirationTime(now + 600)
    .sign(key);
}

const config = (over: Partial<JwtConfig>): JwtConfig => ({ secret: undefined, jwksUrl: undefined, jwksFile: undefined, ...base, ...over });

describe.each([
  ["a JWKS file", () => config({ jwksFile: path.join(dir, "jwks.json") })],
  ["a JWKS URL", () => config({ jwksUrl })],
])("RS256 with %s", (_name, make) => {
  it("accepts a token signed by a key of the set", async () => {
    const verified = await createJwtVerifier(make())(await token({ tenant: "acme", role: "Operator" }));
    expect(verified).toMatchObject({ subject: "alice", tenantSlug: "acme", role: "OPERATOR" });
    expect(verified.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a token signed by another key, or an HS256 token", async () => {
    const verify = createJwtVerifier(make());
    await expect(verify(await token({ tenant: "acme", role: "admin" }, stranger))).rejects.toBeInstanceOf(UnauthenticatedError);
    const hs = await token({ tenant: "acme", role: "admin" }, new TextEncoder().encode("x".repeat(40)), "HS256");
    await expect(verify(hs)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe("claims", () => {
  it("reads the tenant and role from the configured claim names", async () => {
    const verify = createJwtVerifier(config({ jwksFile: path.join(dir, "jwks.json"), tenantClaim: "org", roleClaim: "perm" }));
    expect(await verify(await token({ org: "acme", perm: "viewer" }))).toMatchObject({ tenantSlug: "acme", role: "VIEWER" });
    await expect(verify(await token({ tenant: "acme", role: "viewer" }))).rejects.toThrow("Invalid credentials");
  });

  it("refuses garbage", async () => {
    const verify = createJwtVerifier(config({ jwksUrl }));
    for (const bad of ["", "a.b.c", "not a token"]) await expect(verify(bad)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
