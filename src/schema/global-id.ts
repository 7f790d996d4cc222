// Global object IDs: base64url("Type:uuid"). Decoding checks both parts, so a malformed or
// foreign ID is a clear BAD_USER_INPUT error instead of a database error.
import { BadUserInputError } from "../errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${id}`).toString("base64url");
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const decoded = Buffer.from(globalId, "base64url").toString("utf8");
  const sep = decoded.indexOf(":");
  const typename = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (sep <= 0 || !UUID.test(id) || encodeGlobalId(typename, id) !== globalId.replace(/=+$/, "")) {
    throw new BadUserInputError(`Invalid ID: ${JSON.stringify(globalId)}`);
  }
  return { typename, id: id.toLowerCase() };
}

/** Decodes a global ID that must name a `typename`. */
export function decodeIdOf(typename: string, globalId: string): string {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename !== typename) {
    throw new BadUserInputError(`Expected a ${typename} ID, got a ${decoded.typename} ID: ${JSON.stringify(globalId)}`);
  }
  return decoded.id;
}
