// One page-size rule for every connection: default 20, at most 100, and a larger request is an
// error rather than a silently shorter page.
import { BadUserInputError } from "../errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export type PageArgs = {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
};

export function assertPageSize(args: PageArgs): number {
  for (const name of ["first", "last"] as const) {
    const value = args[name];
    if (value == null) continue;
    if (value < 0) throw new BadUserInputError(`"${name}" must not be negative`);
    if (value > MAX_PAGE_SIZE) {
      throw new BadUserInputError(`"${name}" must not exceed ${MAX_PAGE_SIZE} (got ${value})`);
    }
  }
  if (args.first != null && args.last != null) throw new BadUserInputError(`Use "first" or "last", not both`);
  if (args.after != null && args.before != null) throw new BadUserInputError(`Use "after" or "before", not both`);
  return MAX_PAGE_SIZE;
}

/**
 * The size of a first page (no cursor, no `last`) that `args` ask for; null for anything else,
 * invalid arguments included (the connection then reports them, as its own error). What a page
 * read ahead of its field (a run's first steps) can serve.
 */
export function firstPageSize(args: PageArgs): number | null {
  if (args.last != null || args.after != null || args.before != null) return null;
  try {
    assertPageSize(args);
  } catch {
    return null;
  }
  return args.first ?? DEFAULT_PAGE_SIZE;
}
