// Resolves `{{...}}` templates in a step's config against the run's data. Pure and total over JSON:
// a variable that is not there fails the step with a message naming it, instead of quietly
// becoming "" or undefined and sending a half-filled request somewhere.
//
// Syntax and its edges:
// - A string that is exactly one template ("{{input.count}}") becomes the raw value, so numbers,
//   booleans, null, objects and arrays keep their type. Anything around it (even a space) makes the
//   string an interpolation: strings as-is, objects/arrays as JSON, null as "null".
// - Whitespace inside the braces is ignored: "{{ input.x }}" equals "{{input.x}}".
// - An unterminated "{{" (no closing "}}") is literal text; there is no escape syntax.
// - Only string values are templated. Object keys are not: a key names a field the action expects,
//   and letting data rename it would let run input change which field an action reads.
// - Roots: input, steps.<id>.output, context, execution, workflow. Anything else is an unknown
//   variable. `context.<key>` reads the run's context (set_context) as it was when the step's batch
//   started: what steps it depends on wrote, not its siblings.

import { getPath } from "./conditions.ts";

export type TemplateScope = {
  input: unknown;
  steps: Record<string, { output: unknown }>;
  /** The run's context (keys written by set_context steps); absent counts as empty. */
  context?: Record<string, unknown>;
  execution: { id: string };
  workflow: { name: string; version: number };
};

export type TemplateError = {
  /** INPUT_TOO_LARGE: the resolved config would exceed `maxBytes` (resolution stops there, early). */
  code: "TEMPLATE_MISSING_VARIABLE" | "INPUT_TOO_LARGE";
  message: string;
  /** Where the template sits, starting at "config": ["config", "body", "amount"]. */
  path: string[];
  /** The expression between the braces, trimmed: "input.order.total". */
  variable: string;
};

export type ResolveResult = { ok: true; value: unknown } | { ok: false; error: TemplateError };

// No "{" or "}" inside, so "{{{x}}}" matches "{{x}}" and a stray "{{" before a template stays literal.
const TEMPLATE = /\{\{([^{}]*)\}\}/g;
const WHOLE_TEMPLATE = /^\{\{([^{}]*)\}\}$/;

type Lookup = { ok: true; value: unknown } | { ok: false; reason?: string };

class MissingVariable {
  constructor(readonly error: TemplateError) {}
}

/**
 * What the resolved value may still take, in characters of JSON (close to bytes for the usual
 * ASCII). Counted while resolving, so outputs multiplied through templates fail the step instead
 * of building a string of hundreds of megabytes first.
 */
type Budget = { left: number; sizes: WeakMap<object, number> };

export function resolveTemplates(config: unknown, scope: TemplateScope, options: { maxBytes?: number } = {}): ResolveResult {
  const budget: Budget = { left: options.maxBytes ?? Infinity, sizes: new WeakMap() };
  try {
    return { ok: true, value: resolveValue(config, scope, ["config"], budget) };
  } catch (error) {
    // A private control-flow signal to stop at the first missing variable; anything else is a bug.
    if (error instanceof MissingVariable) return { ok: false, error: error.error };
    throw error;
  }
}

/** Step ids referenced as {{steps.<id>...}}, each once, in order of first appearance. */
export function templateReferences(config: unknown): string[] {
  const ids = new Set<string>();
  visitStrings(config, (text) => {
    for (const match of text.matchAll(TEMPLATE)) {
      const [root, id] = (match[1] ?? "").trim().split(".");
      if (root === "steps" && id) ids.add(id);
    }
  });
  return [...ids];
}

function resolveValue(value: unknown, scope: TemplateScope, path: string[], budget: Budget): unknown {
  if (typeof value === "string") return resolveString(value, scope, path, budget);
  if (Array.isArray(value)) return value.map((item, i) => resolveValue(item, scope, [...path, String(i)], budget));
  if (isPlainObject(value)) {
    // fromEntries defines own properties, so a "__proto__" key from JSON stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveValue(item, scope, [...path, key], budget)]),
    );
  }
  return value;
}

function resolveString(text: string, scope: TemplateScope, path: string[], budget: Budget): unknown {
  const whole = WHOLE_TEMPLATE.exec(text);
  if (whole) {
    const value = lookupOrThrow(whole[1] ?? "", scope, path);
    spend(budget, sizeOf(value, budget), path, whole[1] ?? "");
    return value;
  }
  if (!text.includes("{{")) return text;
  return text.replace(TEMPLATE, (_match, expression: string) => {
    const piece = stringify(lookupOrThrow(expression, scope, path));
    spend(budget, piece.length, path, expression);
    return piece;
  });
}

function spend(budget: Budget, size: number, path: string[], expression: string): void {
  budget.left -= size;
  if (budget.left >= 0) return;
  throw new MissingVariable({
    code: "INPUT_TOO_LARGE",
    message: `${path.join(".")}: {{${expression.trim()}}} makes the resolved config larger than the limit (ENGINE_MAX_PAYLOAD_BYTES)`,
    path,
    variable: expression.trim(),
  });
}

/** JSON size of a referenced value, measured once per object (a run references the same outputs often). */
function sizeOf(value: unknown, budget: Budget): number {
  if (typeof value !== "object" || value === null) return typeof value === "string" ? value.length + 2 : String(value).length;
  let size = budget.sizes.get(value);
  if (size === undefined) {
    size = JSON.stringify(value).length;
    budget.sizes.set(value, size);
  }
  return size;
}

function lookupOrThrow(expression: string, scope: TemplateScope, path: string[]): unknown {
  const variable = expression.trim();
  const found = lookup(variable, scope);
  if (found.ok) return found.value;
  const detail = found.reason ? ` (${found.reason})` : "";
  throw new MissingVariable({
    code: "TEMPLATE_MISSING_VARIABLE",
    message: `${path.join(".")}: {{${variable}}} is not defined${detail}`,
    path,
    variable,
  });
}

function lookup(variable: string, scope: TemplateScope): Lookup {
  const segments = variable.split(".");
  // "input." would otherwise read as the whole input; an empty segment is always a typo.
  if (segments.includes("")) return { ok: false, reason: "empty path segment" };
  const [root, ...rest] = segments;
  switch (root) {
    case "input":
      return defined(getPath(scope.input, rest.join(".")));
    case "execution":
      return defined(getPath(scope.execution, rest.join(".")));
    case "context": {
      if (rest.length === 0) return { ok: false, reason: "context values are read as context.<key>" };
      const [key] = rest;
      if (!Object.hasOwn(scope.context ?? {}, key as string)) return { ok: false, reason: `no step wrote context key "${key}" yet` };
      return defined(getPath(scope.context, rest.join(".")));
    }
    case "workflow":
      return defined(getPath(scope.workflow, rest.join(".")));
    case "steps": {
      const [id, field, ...tail] = rest;
      if (!id || field !== "output") return { ok: false, reason: "step values are read as steps.<id>.output..." };
      const output = Object.hasOwn(scope.steps, id) ? scope.steps[id]?.output : undefined;
      if (output === undefined) return { ok: false, reason: `step "${id}" has no output yet` };
      return defined(getPath(output, tail.join(".")));
    }
    default:
      return { ok: false, reason: `unknown root "${root ?? ""}"; use input, steps, context, execution or workflow` };
  }
}

// null is a value an author can test for; only undefined (absent) counts as missing.
function defined(value: unknown): Lookup {
  return value === undefined ? { ok: false } : { ok: true, value };
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * What a config string becomes once templates are resolved, as far as can be told before a run:
 * "value" (exactly one template: any value, of any type), "text" (templates inside text: some
 * string) or "literal" (no template: the string itself).
 */
export function templateKind(text: string): "value" | "text" | "literal" {
  if (WHOLE_TEMPLATE.test(text)) return "value";
  // A fresh regex: the shared global one keeps lastIndex between test() calls.
  return new RegExp(TEMPLATE.source).test(text) ? "text" : "literal";
}

function visitStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) for (const item of value) visitStrings(item, visit);
  else if (isPlainObject(value)) for (const item of Object.values(value)) visitStrings(item, visit);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
