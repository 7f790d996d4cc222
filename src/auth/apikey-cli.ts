// `npm run apikey -- <command>`: API keys from the command line, for the first admin key of a
// tenant (later ones can also be made over GraphQL with createApiKey).
//   create --tenant <slug> --role <viewer|operator|admin> [--name <name>]   prints the key once
//   revoke <id>
//   list [--tenant <slug>]
//   tenant <slug> [--name <name>]   creates a tenant without a key (for JWT-only tenants)
// With the embedded database it connects to the running server's PostgreSQL, or starts it.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { createDb } from "../db/client.ts";
import { openDatabase } from "../db/database.ts";
import { scopeToTenant } from "../db/tenant-scope.ts";
import { AppError } from "../errors.ts";
import { createApiKey, revokeApiKey } from "./api-keys.ts";
import { parseRole } from "./principal.ts";

const USAGE = `Usage:
  npm run apikey -- create --tenant <slug> --role <viewer|operator|admin> [--name <name>]
  npm run apikey -- revoke <id>
  npm run apikey -- list [--tenant <slug>]
  npm run apikey -- tenant <slug> [--name <name>]`;

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

class UsageError extends Error {}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tenant: { type: "string" }, role: { type: "string" }, name: { type: "string" } },
  strict: false,
});
const [command, ...rest] = positionals;

let exitCode = 0;
try {
  if (!command || !["create", "revoke", "list", "tenant"].includes(command)) throw new UsageError(USAGE);
  // Progress goes to stderr: stdout is the key or the list, for scripts.
  const database = await openDatabase(loadConfig(process.env), console.error);
  const db = createDb({ url: database.url, poolSize: 2 });
  try {
    if (command === "create") {
      const slug = typeof values.tenant === "string" ? values.tenant : "";
      const role = parseRole(values.role);
      if (!SLUG.test(slug)) throw new UsageError(`--tenant: a slug of lowercase letters, digits and dashes\n${USAGE}`);
      if (!role) throw new UsageError(`--role: viewer, operator or admin\n${USAGE}`);
      let tenant = await db.tenant.findUnique({ where: { slug } });
      if (!tenant) {
        tenant = await db.tenant.create({ data: { slug, name: slug } });
        console.error(`Created tenant "${slug}".`);
      }
      const name = typeof values.name === "string" ? values.name : `${role.toLowerCase()} key`;
      const { apiKey, secret } = await createApiKey(scopeToTenant(db, tenant.id), { name, role });
      console.error(`API key ${apiKey.id} (${apiKey.prefix}…, ${role} of "${slug}"). It is shown only now:`);
      console.log(secret);
    } else if (command === "tenant") {
      const slug = rest[0] ?? "";
      if (!SLUG.test(slug)) throw new UsageError(`tenant: a slug of lowercase letters, digits and dashes\n${USAGE}`);
      const name = typeof values.name === "string" ? values.name : slug;
      const existing = await db.tenant.findUnique({ where: { slug } });
      if (existing) console.log(`Tenant "${slug}" exists (${existing.id}).`);
      else console.log(`Created tenant "${slug}" (${(await db.tenant.create({ data: { slug, name } })).id}).`);
    } else if (command === "revoke") {
      const id = rest[0] ?? "";
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`revoke: give the key's id\n${USAGE}`);
      const key = await db.apiKey.findUnique({ where: { id }, select: { tenantId: true, revokedAt: true } });
      if (!key) throw new UsageError(`No API key ${id}.`);
      if (key.revokedAt) console.log(`${id} was already revoked.`);
      else {
        await revokeApiKey(scopeToTenant(db, key.tenantId), id);
        console.log(`Revoked ${id}.`);
      }
    } else {
      const slug = typeof values.tenant === "string" ? values.tenant : undefined;
      const keys = await db.apiKey.findMany({
        where: slug ? { tenant: { slug } } : {},
        orderBy: { createdAt: "asc" },
        select: { id: true, name: true, role: true, prefix: true, createdAt: true, revokedAt: true, tenant: { select: { slug: true } } },
      });
      for (const k of keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
        console.log(`${k.id}  ${k.tenant.slug}  ${k.role.toLowerCase()}  ${k.prefix}…  ${k.name}  ${state}`);
      }
      if (keys.length === 0) console.error("No API keys.");
    }
  } finally {
    await db.$disconnect();
    await database.stop();
  }
} catch (error) {
  exitCode = 1;
  console.error(error instanceof UsageError || error instanceof ConfigError || error instanceof AppError ? error.message : error);
}
process.exit(exitCode);
