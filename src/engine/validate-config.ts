// Checks a step's config against its action's input schema when the workflow is saved, before
// templates are resolved. The action validates the resolved input again when it runs; this check
// exists so that a typo'd key or a missing field is reported to the author now, with its path,
// instead of failing a run later with INVALID_INPUT.
//
// A config string holding a template cannot be judged yet:
// - exactly one template ("{{input.count}}") becomes a value of any type, so no issue at or under
//   it counts;
// - templates inside text ("Order {{input.id}}") become some string: its format or length cannot be
//   judged, but a field that does not take a string at all is still wrong.
// Keys are never templated, so unknown and missing keys are always reported.

import type { z } from "zod";
import type { FieldIssue } from "../errors.ts";
import { closest } from "./did-you-mean.ts";
import { templateKind } from "./templates.ts";

type Path = readonly PropertyKey[];

/** Problems of `config` for `schema`, each with a path starting at the config (["subject"]). */
export function configIssues(schema: z.ZodType, config: Record<string, unknown>): FieldIssue[] {
  const parsed = schema.safeParse(config);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => located(issue, [], schema, config));
}

function located(issue: z.core.$ZodIssue, base: Path, schema: z.ZodType, config: unknown): FieldIssue[] {
  const path = [...base, ...issue.path];
  if (isExcused(issue, path, config)) return [];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = objectKeysAt(schema, path);
      return issue.keys.map((key) => {
        const guess = closest(key, known.filter((k) => !hasOwnAt(config, [...path, k])));
        const hint = guess ? ` (did you mean ${JSON.stringify(guess)}?)` : "";
        return { path: toPath([...path, key]), message: `unknown key ${JSON.stringify(key)}${hint}` };
      });
    }
    case "invalid_union": {
      const branches = issue.errors.map((errors) => ({
        wrongType: errors.some((e) => e.code === "invalid_type" && e.path.length === 0),
        issues: errors.flatMap((e) => located(e, path, schema, config)),
      }));
      // A branch all of whose problems are excused by templates accepts the value.
      if (branches.some((b) => b.issues.length === 0)) return [];
      // Otherwise the branch the value's type selects (the array in `string | string[]`) says what is wrong.
      const typed = branches.filter((b) => !b.wrongType);
      return typed.length === 1 && typed[0] ? typed[0].issues : [{ path: toPath(path), message: issue.message }];
    }
    case "invalid_type": {
      const key = path.at(-1);
      if (key !== undefined && !hasOwnAt(config, path) && isObjectAt(config, path.slice(0, -1))) {
        return [{ path: toPath(path), message: `missing required key ${JSON.stringify(String(key))}` }];
      }
      return [{ path: toPath(path), message: issue.message }];
    }
    default:
      return [{ path: toPath(path), message: issue.message }];
  }
}

/** Whether a template on the way to the issue's location means it cannot be judged before the run. */
function isExcused(issue: z.core.$ZodIssue, path: Path, config: unknown): boolean {
  let current = config;
  for (let depth = 0; depth <= path.length; depth++) {
    if (typeof current === "string") {
      const kind = templateKind(current);
      if (kind === "value") return true;
      // Text becomes a string: only a problem with the string's content (format, length) is excused.
      if (kind === "text") return depth === path.length && issue.code !== "invalid_type";
      return false;
    }
    if (depth === path.length || current === null || typeof current !== "object") return false;
    const key = path[depth] as PropertyKey;
    current = Object.hasOwn(current, key) ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return false;
}

function valueAt(config: unknown, path: Path): { found: boolean; value?: unknown } {
  let current = config;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

const hasOwnAt = (config: unknown, path: Path) => valueAt(config, path).found;

function isObjectAt(config: unknown, path: Path): boolean {
  const { found, value } = valueAt(config, path);
  return found && typeof value === "object" && value !== null && !Array.isArray(value);
}

// Zod's own definitions (`_zod.def`) are how a schema is walked; only the wrappers an action's
// input plausibly uses are followed, and anything else simply yields no suggestion.
type Def = {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
};
const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** The keys an object schema at `path` knows, for "did you mean"; [] where that cannot be told. */
function objectKeysAt(schema: z.core.$ZodType, path: Path): string[] {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    const def: Def | undefined = current?._zod.def as Def | undefined;
    if (def?.type === "object") current = def.shape?.[String(segment)];
    else if (def?.type === "array") current = def.element;
    else return [];
    current = current && unwrap(current);
  }
  const def = current?._zod.def as Def | undefined;
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as Def;
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (!next) return current;
    current = next;
  }
}

const toPath = (path: Path): string[] => path.map(String);
