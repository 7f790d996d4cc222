import { describe, expect, it } from "vitest";
import { emailAction } from "../../../../src/engine/actions/email.ts";
import { failAction } from "../../../../src/engine/actions/fail.ts";
import { invokeAction } from "../../../../src/engine/actions/invoke.ts";
import { logAction } from "../../../../src/engine/actions/log.ts";
import { transformAction } from "../../../../src/engine/actions/transform.ts";
import type { ActionContext, ActionServices, EmailMessage, LogLevel } from "../../../../src/engine/actions/types.ts";

type Logged = { level: LogLevel; message: string; data?: unknown };

function context(services: Partial<ActionServices> = {}, signal = new AbortController().signal) {
  const logs: Logged[] = [];
  const ctx: ActionContext = {
    signal,
    log: (level, message, data) => logs.push({ level, message, data }),
    execution: { id: "exec_1", workflowName: "wf", attempt: 1 },
    step: { key: "s", attempt: 1 },
    services: {
      fetch: () => Promise.reject(new Error("unused")),
      sendEmail: () => Promise.reject(new Error("unused")),
      now: () => 0,
      ...services,
    },
  };
  return { ctx, logs };
}

describe("log action", () => {
  it("writes a log entry at the given level, INFO by default", async () => {
    const { ctx, logs } = context();
    const result = await invokeAction(logAction, { message: "hi" }, ctx);
    expect(result).toEqual({ status: "completed", output: { logged: true } });
    await invokeAction(logAction, { message: "careful", level: "WARN", data: { n: 1 } }, ctx);
    expect(logs).toEqual([
      { level: "INFO", message: "hi", data: undefined },
      { level: "WARN", message: "careful", data: { n: 1 } },
    ]);
  });

  it("rejects an unknown level", async () => {
    const { ctx, logs } = context();
    expect(await invokeAction(logAction, { message: "x", level: "TRACE" }, ctx)).toMatchObject({
      error: { code: "INVALID_INPUT" },
    });
    expect(logs).toEqual([]);
  });
});

describe("transform action", () => {
  it("outputs its output value as given", async () => {
    const { ctx } = context();
    const output = { total: 12, items: ["a"], none: null };
    expect(await invokeAction(transformAction, { output }, ctx)).toEqual({ status: "completed", output });
    expect(await invokeAction(transformAction, { output: null }, ctx)).toEqual({ status: "completed", output: null });
  });

  it("requires output", async () => {
    const { ctx } = context();
    expect(await invokeAction(transformAction, {}, ctx)).toMatchObject({ error: { code: "INVALID_INPUT" } });
  });
});

describe("fail action", () => {
  it("fails with the defaults", async () => {
    const { ctx } = context();
    expect(await invokeAction(failAction, { message: "bad order" }, ctx)).toEqual({
      status: "failed",
      error: { message: "bad order", code: "FAILED_BY_DEFINITION", retryable: false },
    });
  });

  it("fails with a custom code and retryable flag", async () => {
    const { ctx } = context();
    expect(await invokeAction(failAction, { message: "later", code: "NOT_READY", retryable: true }, ctx)).toEqual({
      status: "failed",
      error: { message: "later", code: "NOT_READY", retryable: true },
    });
  });
});

describe("email action", () => {
  it("sends through services.sendEmail, normalising to a list of recipients", async () => {
    const sent: EmailMessage[] = [];
    const { ctx } = context({
      sendEmail: async (message) => {
        sent.push(message);
        return { delivered: false, transport: "outbox", id: "mail_1" };
      },
    });
    const result = await invokeAction(emailAction, { to: "a@example.com", subject: "Hi", text: "body" }, ctx);
    expect(result).toEqual({ status: "completed", output: { delivered: false, transport: "outbox", id: "mail_1" } });
    await invokeAction(emailAction, { to: ["a@example.com", "b@example.com"], subject: "Both", html: "<p>x</p>" }, ctx);
    expect(sent.map((m) => m.to)).toEqual([["a@example.com"], ["a@example.com", "b@example.com"]]);
    expect(sent[0]).toMatchObject({ subject: "Hi", text: "body" });
  });

  it("rejects bad addresses and missing subjects", async () => {
    const { ctx } = context();
    for (const input of [{ to: "nope", subject: "x" }, { to: [], subject: "x" }, { to: "a@example.com" }]) {
      expect(await invokeAction(emailAction, input, ctx)).toMatchObject({ error: { code: "INVALID_INPUT" } });
    }
  });

  it("turns a transport error into a retryable failure", async () => {
    const { ctx } = context({ sendEmail: () => Promise.reject(new Error("421 try later")) });
    const result = await invokeAction(emailAction, { to: "a@example.com", subject: "x" }, ctx);
    expect(result).toMatchObject({ status: "failed", error: { code: "EMAIL_SEND_FAILED", retryable: true } });
    expect(result.status === "failed" && result.error.message).toContain("421 try later");
  });
});
