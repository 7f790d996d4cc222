// Names for statements whose text the read layer builds: the same text gets the same name, so pg
// prepares it once per connection and PostgreSQL plans it once. Bounded, since shapes come from
// clients (filters, selections): past the bound, statements run unnamed.
import { createHash } from "node:crypto";

const names = new Map<string, string>();
const MAX_NAMES = 500;

export function statementName(prefix: string, text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `${prefix}:${createHash("sha1").update(text).digest("base64url").slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
