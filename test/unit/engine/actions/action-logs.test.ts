// The built-in actions leave INFO lines on their step: what was requested (without credentials),
// what came back, who was mailed, when a long delay wakes.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { delayAction } from "../../../../src/engine/actions/delay.ts";
import { emailAction } from "../../../../src/engine/actions/email.ts";
import { httpAction, loggableUrl } from "../../../../src/engine/actions/http.ts";
import { invokeAction } from "../../../../src/engine/actions/invoke.ts";
import type { ActionContext, ActionServices, LogLevel } from "../../../../src/engine/actions/types.ts";

type Logged = { level: LogLevel; message: string; data?: unknown };

function context(services: Partial<ActionServices> = {}) {
  const logs: Logged[] = [];
  const ctx: ActionContext = {
    signal: new AbortController().signal,
    log: (level, message, data) => logs.push({ level, message, data }),
    execution: { id: "exec_1", workflowName: "wf", attempt: 1 },
    step: { key: "s", attempt: 1 },
    services: { fetch, sendEmail: () => Promise.reject(new Error("unused")), now: () => Date.now(), ...services },
  };
  return { ctx, logs };
}

const server = http.createServer((req, res) => {
  res.writeHead(req.url?.startsWith("/missing") ? 404 : 200, { "content-type": "application/json" });
  res.end("{}");
});
let base = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("loggableUrl", () => {
  it("drops userinfo and masks credential-looking query values", () => {
    expect(loggableUrl("https://bob:hunter2@api.example/x?api_key=abc&page=2&token=t&sig=s")).toBe(
      "https://api.example/x?api_key=[redacted]&page=2&token=[redacted]&sig=[redacted]",
    );
    expect(loggableUrl("https://api.example/users/7")).toBe("https://api.example/users/7");
  });
});

describe("action log lines", () => {
  it("http logs the request (without secrets) and the response status", async () => {
    const { ctx, logs } = context();
    const result = await invokeAction(httpAction, { method: "POST", url: `${base}/ok?token=s3cret`, body: { a: 1 } }, ctx);
    expect(result.status).toBe("completed");
    expect(logs.map((l) => [l.level, l.message.replace(/\d+ ms/, "N ms")])).toEqual([
      ["INFO", `POST ${base}/ok?token=[redacted]`],
      ["INFO", `200 OK from POST ${base}/ok?token=[redacted] in N ms`],
    ]);
    expect(JSON.stringify(logs)).not.toContain("s3cret");
    expect(logs[1]?.data).toMatchObject({ status: 200 });
  });

  it("http logs a failing status as a warning, and its error names no secret either", async () => {
    const { ctx, logs } = context();
    const result = await invokeAction(httpAction, { url: `${base}/missing?password=pw` }, ctx);
    expect(result).toMatchObject({ status: "failed", error: { code: "HTTP_404" } });
    expect(logs[1]).toMatchObject({ level: "WARN", data: { status: 404 } });
    expect(JSON.stringify([logs, result])).not.toContain("pw");
  });

  it("email logs its recipients and where the message went", async () => {
    const { ctx, logs } = context({ sendEmail: async () => ({ delivered: false, transport: "outbox", id: "mail_1" }) });
    await invokeAction(emailAction, { to: ["a@example.com", "b@example.com"], subject: "Hi" }, ctx);
    expect(logs).toEqual([
      { level: "INFO", message: 'Sending "Hi" to a@example.com, b@example.com', data: { to: ["a@example.com", "b@example.com"] } },
      { level: "INFO", message: "Stored in EmailOutbox (mail_1); SMTP_URL is not set", data: { transport: "outbox", id: "mail_1" } },
    ]);
  });

  it("a long delay logs when it wakes; a short one logs nothing", async () => {
    const now = Date.parse("2026-12-02T10:00:00Z");
    const { ctx, logs } = context({ now: () => now });
    expect(await invokeAction(delayAction, { ms: 600_000 }, ctx)).toMatchObject({ status: "sleep" });
    expect(logs).toEqual([
      {
        level: "INFO",
        message: "Sleeping 600000 ms; the run continues at 2026-12-02T10:10:00.000Z",
        data: { ms: 600_000, wakeAt: "2026-12-02T10:10:00.000Z" },
      },
    ]);
    const short = context();
    await invokeAction(delayAction, { ms: 1 }, short.ctx);
    expect(short.logs).toEqual([]);
  });
});
