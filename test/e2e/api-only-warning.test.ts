// An API-only process (RUN_WORKER=false) without REDIS_URL never hears of the events of runs that
// a worker process executes; it says so at start, in one line, instead of serving subscriptions
// that look live and are not.
import { afterEach, describe, expect, it } from "vitest";
import { API_ONLY_WITHOUT_REDIS } from "../../src/app.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { lineText, recordingLogger } from "../support/logs.ts";

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
});

/** The warnings about Redis (dev mode, announced too, is not this test's business). */
async function warningsAtStart(env: Record<string, string>): Promise<string[]> {
  const warnings: string[] = [];
  const { log } = recordingLogger("warn", (line) => {
    if (line.level === 40) warnings.push(lineText(line));
  });
  apps.push(await startTestApp(env, { log }));
  return warnings.filter((w) => w.includes("REDIS_URL"));
}

describe("the warning of an API-only process without Redis", () => {
  it("is one line when RUN_WORKER=false and REDIS_URL is unset", async () => {
    const warnings = await warningsAtStart({ RUN_WORKER: "false" });
    expect(warnings).toEqual([API_ONLY_WITHOUT_REDIS]);
    expect(API_ONLY_WITHOUT_REDIS).not.toContain("\n");
    expect(API_ONLY_WITHOUT_REDIS).toMatch(/RUN_WORKER=false and no REDIS_URL/);
  });

  it("is not given with REDIS_URL, nor by a process that runs the worker itself", async () => {
    expect(await warningsAtStart({ RUN_WORKER: "false", REDIS_URL: redisUrl })).toEqual([]);
    expect(await warningsAtStart({})).toEqual([]);
  });
});
