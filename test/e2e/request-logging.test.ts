// One log line per request, with its operation and duration, and never a credential.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type LogLine, recordingLogger } from "../support/logs.ts";

const FAKE_KEY = "ssk_bm90LWEtcmVhbC1rZXktYnV0LXNoYXBlZC1saWtlLW9uZQ";

let app: TestApp;
let recorded: ReturnType<typeof recordingLogger>;

beforeAll(async () => {
  recorded = recordingLogger("debug");
  app = await startTestApp({}, { log: recorded.log });
});
afterAll(async () => {
  await app?.stop();
});

const requestLines = (from: number) => recorded.lines.slice(from).filter((l) => l.msg === "request");

async function post(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}?token=${FAKE_KEY}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  await res.text();
  return res.status;
}

/** The request line is written when the response closes, which may be just after fetch resolves. */
async function linesAfter(from: number, count: number): Promise<LogLine[]> {
  for (let i = 0; i < 200 && requestLines(from).length < count; i += 1) await new Promise((r) => setTimeout(r, 10));
  return requestLines(from);
}

describe("request log", () => {
  it("writes one line per request with its operation, type, status and duration", async () => {
    const from = recorded.lines.length;
    expect(await post("query LogProbe { workflows(first: 1) { totalCount } }")).toBe(200);
    const lines = await linesAfter(from, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, method: "POST", path: "/graphql", status: 200, operation: "LogProbe", type: "query" });
    expect(lines[0]?.["durationMs"]).toEqual(expect.any(Number));
  });

  it("logs a refused request too, without the credential it carried", async () => {
    const from = recorded.lines.length;
    expect(await post("mutation Sneaky { __typename }", { authorization: `Bearer ${FAKE_KEY}` })).toBe(401);
    const lines = await linesAfter(from, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 401, operation: "Sneaky", type: "mutation" });
    expect(recorded.text()).not.toContain(FAKE_KEY.slice(4));
  });

  it("logs health checks at debug level only", async () => {
    const from = recorded.lines.length;
    await (await fetch(`${new URL(app.url).origin}/healthz`)).text();
    const lines = await linesAfter(from, 1);
    expect(lines).toMatchObject([{ level: 20, path: "/healthz", status: 200 }]);
  });
});
