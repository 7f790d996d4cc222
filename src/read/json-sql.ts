// SQL expressions that write values exactly as the API's resolvers and scalars serialize them, for
// responses PostgreSQL writes itself (execution-page-json.ts). Each one is checked against its JS
// twin by test/e2e/preshaped-reads.test.ts.

/** A string literal. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** base64url without padding, as Buffer#toString("base64url") (encode() breaks lines every 76 characters). */
export const base64urlSql = (text: string) => `translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;

/** base64 with padding, as Buffer#toString("base64"). */
export const base64Sql = (text: string) => `translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'\\n', '')`;

/** A global ID (schema/global-id.ts: base64url of "Type:id"); null for a null id. */
export const globalIdSql = (typename: string, id: string) => base64urlSql(`${literal(`${typename}:`)} || ${id}`);

/** An instant as the DateTime scalar writes it (Date#toISOString; the columns hold milliseconds). */
export const instantSql = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `json_build_object` of `[key, expression]` pairs; null when PostgreSQL could not take that many arguments. */
export function objectSql(pairs: readonly (readonly [string, string])[]): string | null {
  // A function takes at most 100 arguments; a wider object would need jsonb, which reorders keys.
  if (pairs.length > 50) return null;
  return `json_build_object(${pairs.map(([key, sql]) => `${literal(key)}, ${sql}`).join(", ")})`;
}
