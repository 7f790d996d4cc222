import { describe, expect, it } from "vitest";
import { z } from "zod";
import { invokeAction } from "../../../../src/engine/actions/invoke.ts";
import { builtInActions, createActionRegistry } from "../../../../src/engine/actions/registry.ts";
import { type ActionContext, defineAction } from "../../../../src/engine/actions/types.ts";
import { STEP_TYPE_PATTERN } from "../../../../src/engine/definition.ts";

const echo = defineAction({
  type: "echo",
  input: z.strictObject({ value: z.string() }),
  async run({ value }) {
    return { status: "completed", output: value.toUpperCase() };
  },
});

function context(signal = new AbortController().signal): ActionContext {
  return {
    signal,
    log: () => {},
    execution: { id: "exec_1", workflowName: "wf", attempt: 1 },
    step: { key: "s", attempt: 1 },
    services: {
      fetch: () => Promise.reject(new Error("unused")),
      sendEmail: () => Promise.reject(new Error("unused")),
      now: () => 0,
    },
  };
}

describe("createActionRegistry", () => {
  it("holds the built-ins when given them, under types a definition can use", () => {
    const registry = createActionRegistry(builtInActions);
    expect(registry.types()).toEqual(["http", "delay", "log", "transform", "fail", "email", "set_context"]);
    for (const type of registry.types()) expect(type).toMatch(STEP_TYPE_PATTERN);
    expect(registry.get("http")?.type).toBe("http");
    expect(registry.has("nope")).toBe(false);
    expect(registry.get("nope")).toBeUndefined();
  });

  it("starts empty and accepts custom actions", () => {
    const registry = createActionRegistry();
    expect(registry.types()).toEqual([]);
    registry.register(echo);
    expect(registry.has("echo")).toBe(true);
  });

  it("refuses a duplicate type", () => {
    const registry = createActionRegistry([echo]);
    expect(() => registry.register({ ...echo })).toThrow(/"echo" is already registered/);
    expect(() => createActionRegistry([...builtInActions, builtInActions[0] ?? echo])).toThrow(/already registered/);
  });
});

describe("invokeAction", () => {
  it("validates input before running and reports every issue", async () => {
    const result = await invokeAction(echo, { value: 1, extra: true }, context());
    expect(result).toMatchObject({ status: "failed", error: { code: "INVALID_INPUT", retryable: false } });
    expect(result.status === "failed" && result.error.message).toMatch(/^value: .*; Unrecognized key: "extra"$/);
    expect(await invokeAction(echo, { value: "hi" }, context())).toEqual({ status: "completed", output: "HI" });
  });

  it("maps a thrown error to ACTION_ERROR", async () => {
    const broken = defineAction({
      type: "broken",
      input: z.unknown(),
      async run() {
        throw new Error("boom");
      },
    });
    expect(await invokeAction(broken, {}, context())).toEqual({
      status: "failed",
      error: { code: "ACTION_ERROR", message: "boom", retryable: true },
    });
  });

  it("does not run an action whose signal is already aborted", async () => {
    let ran = false;
    const spy = defineAction({
      type: "spy",
      input: z.unknown(),
      async run() {
        ran = true;
        return { status: "completed", output: null };
      },
    });
    expect(await invokeAction(spy, {}, context(AbortSignal.abort()))).toMatchObject({ error: { code: "CANCELLED" } });
    expect(ran).toBe(false);
  });
});
