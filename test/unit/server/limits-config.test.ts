import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";

describe("limit settings", () => {
  it("have documented defaults", () => {
    const config = loadConfig({});
    expect(config.introspection).toBe(true);
    expect(config.limits).toEqual({
      operation: {
        maxDepth: 12,
        maxCost: 1_000_000,
        maxAliases: 30,
        maxDirectives: 50,
        maxTokens: 5000,
        blockFieldSuggestions: false,
      },
      json: { maxBytes: 256 * 1024, maxDepth: 32 },
      maxBodyBytes: 1024 * 1024,
      websocket: { maxMessageBytes: 256 * 1024, maxOperations: 100, initTimeoutMs: 3000 },
    });
  });

  it("include documented authentication and rate-limit defaults", () => {
    const config = loadConfig({});
    expect(config.auth).toEqual({ devMode: undefined, jwt: null, apiKeyCacheMs: 5000, recheckMs: 30_000 });
    expect(config.rateLimit).toEqual({ mutations: 120, windowMs: 60_000 });
    expect(loadConfig({ AUTH_DEV_MODE: "false", RATE_LIMIT_MUTATIONS: "0" })).toMatchObject({
      auth: { devMode: false },
      rateLimit: { mutations: 0 },
    });
  });

  it("turn introspection off and hide suggestions in production, unless told otherwise", () => {
    const production = loadConfig({ NODE_ENV: "production" });
    expect(production.introspection).toBe(false);
    expect(production.limits.operation.blockFieldSuggestions).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", GRAPHQL_INTROSPECTION: "true" }).introspection).toBe(true);
  });

  it("are read from the environment", () => {
    const config = loadConfig({ GRAPHQL_MAX_DEPTH: "5", MAX_BODY_BYTES: "4096", JSON_INPUT_MAX_DEPTH: "8" });
    expect(config.limits.operation.maxDepth).toBe(5);
    expect(config.limits.maxBodyBytes).toBe(4096);
    expect(config.limits.json.maxDepth).toBe(8);
    expect(loadConfig({ WS_MAX_OPERATIONS: "7" }).limits.websocket.maxOperations).toBe(7);
    expect(() => loadConfig({ GRAPHQL_MAX_DEPTH: "0" })).toThrow(/GRAPHQL_MAX_DEPTH/);
  });
});
