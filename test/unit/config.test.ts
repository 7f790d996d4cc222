import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("loadConfig", () => {
  it("has defaults that run locally on the embedded database", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      host: "127.0.0.1",
      port: 4000,
      databaseUrl: undefined,
      embeddedPostgres: { port: 54329, dataDir: ".data/postgres" },
      graphiql: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("treats empty variables as unset and turns GraphiQL off in production", () => {
    expect(loadConfig({ DATABASE_URL: "", NODE_ENV: "production" })).toMatchObject({
      databaseUrl: undefined,
      graphiql: false,
    });
    expect(loadConfig({ NODE_ENV: "production", GRAPHIQL: "true" }).graphiql).toBe(true);
  });

  it("keeps every run unless a retention is chosen, and reads bulk operation settings", () => {
    expect(loadConfig({})).toMatchObject({
      retention: { days: 0, intervalMs: 3_600_000 },
      bulkOperations: { chunkSize: 100, pauseMs: 0 },
    });
    expect(loadConfig({ EXECUTION_RETENTION_DAYS: "90", BULK_OPERATION_CHUNK_SIZE: "10" })).toMatchObject({
      retention: { days: 90 },
      bulkOperations: { chunkSize: 10 },
    });
    expect(() => loadConfig({ EXECUTION_RETENTION_DAYS: "-1" })).toThrow(ConfigError);
  });

  it("reports every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", GRAPHIQL: "maybe" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(":")[0])).toEqual(["PORT", "DATABASE_URL", "GRAPHIQL"]);
  });

  it("logs readable lines in development and JSON elsewhere, at LOG_LEVEL; metrics only with a token", () => {
    expect(loadConfig({}).log).toEqual({ level: "info", format: "pretty" });
    expect(loadConfig({ NODE_ENV: "production", LOG_LEVEL: "warn", AUTH_DEV_MODE: "true" }).log).toEqual({ level: "warn", format: "json" });
    expect(loadConfig({ LOG_FORMAT: "json" }).log.format).toBe("json");
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "a-token-long-enough" }).metricsToken).toBe("a-token-long-enough");
    expect(() => loadConfig({ METRICS_TOKEN: "short", LOG_LEVEL: "loud" })).toThrow(/METRICS_TOKEN[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*METRICS_TOKEN/);
    // A worker's own metrics port: only with the token that guards what it serves.
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "a-token-long-enough", METRICS_PORT: "9464" }).metricsPort).toBe(9464);
    expect(() => loadConfig({ METRICS_PORT: "9464" })).toThrow(/METRICS_PORT: needs METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: "a-token-long-enough", METRICS_PORT: "99999" })).toThrow(/METRICS_PORT/);
  });
});
