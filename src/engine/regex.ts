// `matches_regex` runs user-written patterns on user-supplied data inside a worker, so it uses
// RE2 (re2js): matching is linear in the input, and a pattern such as (a+)+$ cannot hang the
// process as it can with JavaScript's backtracking RegExp. RE2 has no lookaround or
// backreferences; such patterns are rejected when the definition is saved.
import { RE2JS } from "re2js";

const compiled = new Map<string, RE2JS>();
const CACHE_SIZE = 500;

export type RegexCompileResult = { ok: true; regex: RE2JS } | { ok: false; message: string };

export function compileRegex(pattern: string): RegexCompileResult {
  const cached = compiled.get(pattern);
  if (cached) return { ok: true, regex: cached };
  try {
    const regex = RE2JS.compile(pattern);
    if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
    compiled.set(pattern, regex);
    return { ok: true, regex };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Whether `pattern` matches anywhere in `text` (like RegExp#test); false for an invalid pattern. */
export function regexMatches(pattern: string, text: string): boolean {
  const result = compileRegex(pattern);
  return result.ok && result.regex.matcher(text).find();
}
