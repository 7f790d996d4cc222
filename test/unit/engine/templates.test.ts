import { describe, expect, it } from "vitest";
import {
  type ResolveResult,
  resolveTemplates,
  type TemplateScope,
  templateKind,
  templateReferences,
} from "../../../src/engine/templates.ts";

const order = { total: 99.5, items: [{ sku: "A1" }, { sku: "B2" }] };
const input = { count: 3, order, flag: false, nothing: null, name: "Ada" };
const scope: TemplateScope = {
  input,
  steps: { fetch: { output: { id: "u_1", tags: ["x", "y"] } }, empty: { output: null } },
  execution: { id: "exec_42" },
  workflow: { name: "orders", version: 7 },
};

function resolved(config: unknown): unknown {
  const result = resolveTemplates(config, scope);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function failure(config: unknown, s: TemplateScope = scope) {
  const result: ResolveResult = resolveTemplates(config, s);
  if (result.ok) throw new Error(`expected a missing variable, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe("resolveTemplates", () => {
  it("keeps the raw type when a string is exactly one template", () => {
    expect(resolved({ n: "{{input.count}}" })).toEqual({ n: 3 });
    expect(resolved({ b: "{{input.flag}}" })).toEqual({ b: false });
    expect(resolved({ o: "{{input.order}}" })).toEqual({ o: order });
    expect(resolved({ a: "{{steps.fetch.output.tags}}" })).toEqual({ a: ["x", "y"] });
    expect(resolved({ whole: "{{input}}" })).toEqual({ whole: input });
  });

  it("interpolates templates inside longer strings", () => {
    expect(resolved({ s: "Hello {{input.name}}, you have {{input.count}} items" })).toEqual({
      s: "Hello Ada, you have 3 items",
    });
    expect(resolved({ s: "tags={{steps.fetch.output.tags}}" })).toEqual({ s: 'tags=["x","y"]' });
    expect(resolved({ s: "item: {{input.order.items.0}}" })).toEqual({ s: 'item: {"sku":"A1"}' });
    expect(resolved({ s: "v={{input.nothing}} f={{input.flag}}" })).toEqual({ s: "v=null f=false" });
    // Surrounding whitespace makes it an interpolation, so the number becomes text.
    expect(resolved({ s: " {{input.count}}" })).toEqual({ s: " 3" });
  });

  it("walks nested objects and arrays without touching keys or non-strings", () => {
    const config = {
      "{{input.name}}": "key stays",
      body: {
        amount: "{{input.order.total}}",
        lines: ["{{input.order.items.1.sku}}", 5, true, null, { deep: ["{{execution.id}}"] }],
      },
    };
    expect(resolved(config)).toEqual({
      "{{input.name}}": "key stays",
      body: { amount: 99.5, lines: ["B2", 5, true, null, { deep: ["exec_42"] }] },
    });
    expect(config.body.amount).toBe("{{input.order.total}}");
  });

  it("treats null as defined", () => {
    expect(resolved({ v: "{{input.nothing}}" })).toEqual({ v: null });
    expect(resolved({ v: "{{steps.empty.output}}" })).toEqual({ v: null });
  });

  it("allows whitespace inside the braces", () => {
    expect(resolved({ v: "{{ input.count }}", s: "n={{  input.count\t}}" })).toEqual({ v: 3, s: "n=3" });
  });

  it("resolves execution and workflow variables", () => {
    const config = { id: "{{execution.id}}", wf: "{{workflow.name}}@v{{workflow.version}}", v: "{{workflow.version}}" };
    expect(resolved(config)).toEqual({ id: "exec_42", wf: "orders@v7", v: 7 });
  });

  it("leaves strings without complete templates alone", () => {
    const config = { a: "no templates", b: "{{input.count", c: "{ {input.count}}", d: "{{{input.count}}}" };
    expect(resolved(config)).toEqual({
      a: "no templates",
      b: "{{input.count",
      c: "{ {input.count}}",
      d: "{3}",
    });
  });

  it("fails on a missing input variable, naming it and the config path", () => {
    const error = failure({ body: { amount: "{{input.order.tax}}" } });
    expect(error).toEqual({
      code: "TEMPLATE_MISSING_VARIABLE",
      message: "config.body.amount: {{input.order.tax}} is not defined",
      path: ["config", "body", "amount"],
      variable: "input.order.tax",
    });
    expect(failure({ list: ["ok", "x {{ input.nope }} y"] })).toMatchObject({
      path: ["config", "list", "1"],
      variable: "input.nope",
    });
  });

  it("fails when a step has no output yet", () => {
    const error = failure({ id: "{{steps.later.output.id}}" });
    expect(error.variable).toBe("steps.later.output.id");
    expect(error.message).toBe('config.id: {{steps.later.output.id}} is not defined (step "later" has no output yet)');
    expect(failure({ id: "{{steps.fetch.output.missing}}" }).message).toBe(
      "config.id: {{steps.fetch.output.missing}} is not defined",
    );
    expect(failure({ id: "{{steps.fetch.status}}" }).message).toContain("steps.<id>.output");
    expect(failure({ id: "{{steps.toString.output}}" }).message).toContain('step "toString" has no output yet');
  });

  it("rejects unknown roots and malformed variables", () => {
    expect(failure({ x: "{{env.SECRET}}" }).message).toBe(
      'config.x: {{env.SECRET}} is not defined (unknown root "env"; use input, steps, context, execution or workflow)',
    );
    expect(failure({ x: "{{}}" }).variable).toBe("");
    expect(failure({ x: "{{input.}}" }).message).toContain("empty path segment");
    expect(failure({ x: "{{input.constructor}}" }).variable).toBe("input.constructor");
  });

  it("passes non-object configs through", () => {
    expect(resolved(undefined)).toBeUndefined();
    expect(resolved(42)).toBe(42);
    expect(resolved("{{input.count}}")).toBe(3);
  });
});

describe("templateReferences", () => {
  it("lists referenced step ids once, in order of first appearance", () => {
    const config = {
      url: "https://x/{{steps.fetch.output.id}}/{{ steps.auth.output.token }}",
      nested: [{ again: "{{steps.fetch.output}}" }, "{{input.steps.fake}}", "{{steps}}"],
      "{{steps.inKey.output}}": 1,
    };
    expect(templateReferences(config)).toEqual(["fetch", "auth"]);
    expect(templateReferences({})).toEqual([]);
  });
});

describe("templateKind", () => {
  it("tells a whole template (any value) from templates in text (a string) and plain text", () => {
    expect(templateKind("{{input.count}}")).toBe("value");
    expect(templateKind("{{ steps.a.output }}")).toBe("value");
    expect(templateKind("Order {{input.id}}")).toBe("text");
    expect(templateKind(" {{input.id}}")).toBe("text");
    expect(templateKind("{{input.a}}{{input.b}}")).toBe("text");
    expect(templateKind("no templates")).toBe("literal");
    expect(templateKind("unterminated {{input.x")).toBe("literal");
  });

  it("gives the same answer when asked twice (no regex state carried over)", () => {
    expect([templateKind("a {{x}}"), templateKind("a {{x}}")]).toEqual(["text", "text"]);
  });
});

describe("the size budget (maxBytes)", () => {
  const big = { input: { blob: "x".repeat(1000) }, steps: { a: { output: { list: Array.from({ length: 100 }, (_, i) => i) } } }, execution: { id: "e" }, workflow: { name: "w", version: 1 } };

  it("stops resolving as soon as interpolations pass it, naming the template", () => {
    const result = resolveTemplates({ text: "{{input.blob}}".repeat(16) }, big, { maxBytes: 5000 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "INPUT_TOO_LARGE", path: ["config", "text"], variable: "input.blob" });
  });

  it("counts whole-template values by their JSON size", () => {
    // {"list":[0,…,99]} is 300 characters of JSON.
    expect(resolveTemplates({ a: "{{steps.a.output}}", b: "{{steps.a.output}}" }, big, { maxBytes: 600 }).ok).toBe(true);
    const over = resolveTemplates({ a: "{{steps.a.output}}", b: "{{steps.a.output}}", c: "{{steps.a.output}}" }, big, { maxBytes: 899 });
    expect(over.ok).toBe(false);
  });

  it("has no limit unless one is given", () => {
    expect(resolveTemplates({ text: "{{input.blob}}".repeat(16) }, big).ok).toBe(true);
  });
});

describe("{{context.key}}", () => {
  const withContext: TemplateScope = { ...scope, context: { orderId: "A-17", address: { city: "Graz" }, none: null } };
  const resolve = (config: unknown) => resolveTemplates(config, withContext);

  it("reads keys of the run's context, whole values keeping their type", () => {
    expect(resolve({ a: "{{context.orderId}}", b: "{{ context.address.city }}", c: "{{context.address}}", d: "{{context.none}}" })).toEqual({
      ok: true,
      value: { a: "A-17", b: "Graz", c: { city: "Graz" }, d: null },
    });
    expect(resolve({ text: "order {{context.orderId}} to {{context.address}}" })).toEqual({
      ok: true,
      value: { text: 'order A-17 to {"city":"Graz"}' },
    });
  });

  it("names a key nobody wrote, a missing path under one, and a bare root", () => {
    expect(failure({ x: "{{context.missing}}" }, withContext).message).toBe(
      'config.x: {{context.missing}} is not defined (no step wrote context key "missing" yet)',
    );
    expect(failure({ x: "{{context.address.zip}}" }, withContext).code).toBe("TEMPLATE_MISSING_VARIABLE");
    expect(failure({ x: "{{context}}" }, withContext).message).toContain("context values are read as context.<key>");
    // A scope without a context (nothing written yet) has no keys.
    expect(failure({ x: "{{context.orderId}}" }).code).toBe("TEMPLATE_MISSING_VARIABLE");
  });
});
