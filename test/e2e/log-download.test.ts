// GET /executions/{id}/logs: the same credentials as /graphql, an attachment in text or JSON,
// level and step filters, 404 for unknown or foreign runs, and memory that stays flat while a
// log of 300,000 lines streams out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { apiKey, AUTH_ENV } from "../support/auth.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
let key: string;
let base: string;
let bigExecution: string;
const BIG = 300_000;

beforeAll(async () => {
  app = await startTestApp({ ...AUTH_ENV, RUN_WORKER: "false" });
  f = await createFixture(app.app.db);
  key = (await apiKey(app.app.db, f.tenantId, "VIEWER")).authorization;
  base = new URL(app.url).origin;
  // A second run of e1's workflow holding a large log, written in one statement.
  const e1 = await app.app.db.execution.findUniqueOrThrow({ where: { id: f.executions.e1 as string } });
  const big = await app.app.db.execution.create({
    data: { tenantId: f.tenantId, workflowId: e1.workflowId, workflowVersion: e1.workflowVersion, status: "COMPLETED" },
  });
  bigExecution = big.id;
  await app.app.db.$executeRawUnsafe(
    `INSERT INTO "LogEntry" ("tenantId", "executionId", at, level, message, data)
     SELECT $1::uuid, $2::uuid, now() + n * interval '1 millisecond', 'INFO', 'line ' || n || ' ' || repeat('x', 80), NULL
     FROM generate_series(1, ${BIG}) n`,
    f.tenantId,
    big.id,
  );
}, 120_000);
afterAll(() => app?.stop());

const url = (executionId: string, query = "") => `${base}/executions/${encodeGlobalId("Execution", executionId)}/logs${query}`;
const get = (target: string, authorization: string | undefined = key) =>
  fetch(target, { headers: authorization ? { authorization } : {} });

describe("log download", () => {
  it("needs the same credentials as /graphql", async () => {
    const res = await get(url(f.executions.e1 as string), "");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("serves a run's log as a text attachment, oldest first", async () => {
    const res = await get(url(f.executions.e1 as string));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="execution-.+-logs\.txt"$/);
    const lines = (await res.text()).trim().split("\n");
    const entries = await app.app.db.logEntry.findMany({ where: { executionId: f.executions.e1 as string }, orderBy: [{ at: "asc" }, { id: "asc" }] });
    expect(lines).toHaveLength(entries.length);
    expect(lines[0]).toContain(entries[0]?.message as string);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z (DEBUG|INFO |WARN |ERROR)/);
  });

  it("serves JSON, filtered by level and step", async () => {
    const all = await app.app.db.logEntry.findMany({ where: { executionId: f.executions.e1 as string } });
    const res = await get(url(f.executions.e1 as string, "?format=json&level=error,warn"));
    expect(res.headers.get("content-disposition")).toMatch(/\.json"$/);
    const body = (await res.json()) as { level: string; message: string }[];
    expect(body.length).toBe(all.filter((l) => l.level === "ERROR" || l.level === "WARN").length);
    expect(body.every((l) => l.level === "ERROR" || l.level === "WARN")).toBe(true);
    const stepId = all.find((l) => l.stepId)?.stepId as string;
    const byStep = (await (await get(url(f.executions.e1 as string, `?format=json&stepId=${encodeGlobalId("Step", stepId)}`))).json()) as {
      step: { id: string };
    }[];
    expect(byStep.length).toBe(all.filter((l) => l.stepId === stepId).length);
    expect(byStep.every((l) => l.step.id === encodeGlobalId("Step", stepId))).toBe(true);
  });

  it("answers 404 for an unknown or another tenant's execution, 400 for bad parameters", async () => {
    expect((await get(url("00000000-0000-4000-8000-000000000000"))).status).toBe(404);
    const foreign = await get(url(f.otherExecution));
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await get(url(f.executions.e1 as string, "?format=xml"))).status).toBe(400);
    expect((await get(url(f.executions.e1 as string, "?level=LOUD"))).status).toBe(400);
    expect((await get(`${base}/executions/not-an-id/logs`)).status).toBe(400);
  });

  it(`streams ${BIG.toLocaleString("en-US")} lines with flat memory`, { timeout: 120_000 }, async () => {
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
    const res = await get(url(bigExecution));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    let newlines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (const byte of value) if (byte === 10) newlines += 1;
    }
    clearInterval(sampler);
    expect(newlines).toBe(BIG);
    // The file is ~30 MB; held whole in the app (same process) it would show here.
    expect(bytes).toBeGreaterThan(30_000_000);
    expect(peak - before).toBeLessThan(20 * 1024 * 1024);
  });
});
