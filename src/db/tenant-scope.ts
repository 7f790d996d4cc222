// Tenancy, enforced in one place. Requests and jobs get a client that is scoped to one tenant: a
// Prisma query extension adds the tenant to every model query's filter and to every row it
// creates, so a resolver or service cannot forget it. Another tenant's row is then simply not
// found, exactly like a row that does not exist.
//
// What the extension cannot see: nested writes (`versions: { create: ... }`) and raw SQL. Both
// take the tenant from `db.$tenantId`, never from the request.
import type { Db } from "./client.ts";

export type TenantDb = Db & { readonly $tenantId: string };

/** Operations whose arguments filter rows with `where`. */
const FILTERED = new Set([
  "findUnique",
  "findUniqueOrThrow",
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "count",
  "aggregate",
  "groupBy",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "delete",
  "deleteMany",
  "upsert",
]);
const CREATING = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);
/** Operations whose `data` (for upsert: `update`) changes existing rows. */
const UPDATING = new Set(["update", "updateMany", "updateManyAndReturn", "upsert"]);

type Args = { where?: object; data?: unknown; create?: unknown; update?: unknown };

export class TenantScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TenantScopeError";
  }
}

function stamp(row: unknown, tenantId: string, model: string): object {
  const data = row as Record<string, unknown>;
  // A relation-style `tenant: { connect }` could name any tenant; only the scalar is allowed.
  if ("tenant" in data) throw new TenantScopeError(`${model}: set tenantId, not the tenant relation, in a scoped client`);
  if (data["tenantId"] !== undefined && data["tenantId"] !== tenantId) {
    throw new TenantScopeError(`${model}: a scoped client cannot write rows of another tenant`);
  }
  return { ...data, tenantId };
}

/** An update may not move a row to another tenant (nor, on Tenant, change its id). */
function assertStays(change: unknown, tenantId: string, model: string): void {
  const data = (change ?? {}) as Record<string, unknown>;
  const moved =
    "tenant" in data ||
    (model === "Tenant" ? data["id"] !== undefined : data["tenantId"] !== undefined && data["tenantId"] !== tenantId);
  if (moved) throw new TenantScopeError(`${model}: a scoped client cannot move rows to another tenant`);
}

function withScope(where: object | undefined, scope: Record<string, string>): object {
  const [key] = Object.keys(scope) as [string];
  // Merged, the usual case: Prisma batches findUnique calls (plugin-prisma's relation loads)
  // only for plain unique filters. A caller's own filter on the same column goes under AND, so
  // it can narrow the scope but never replace it.
  if (!where || !(key in where)) return { ...where, ...scope };
  const and = (where as { AND?: unknown }).AND;
  return { ...where, AND: [scope, ...(and === undefined ? [] : Array.isArray(and) ? and : [and])] };
}

export function scopeToTenant(db: Db, tenantId: string): TenantDb {
  const scoped = db.$extends({
    client: { $tenantId: tenantId },
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const a = { ...(args as Args) };
          const scope: Record<string, string> = model === "Tenant" ? { id: tenantId } : { tenantId };
          if (FILTERED.has(operation)) a.where = withScope(a.where, scope);
          if (UPDATING.has(operation)) assertStays(operation === "upsert" ? a.update : a.data, tenantId, model);
          if (CREATING.has(operation) && model !== "Tenant") {
            if (operation === "upsert") a.create = stamp(a.create, tenantId, model);
            else if (Array.isArray(a.data)) a.data = a.data.map((row) => stamp(row, tenantId, model));
            else a.data = stamp(a.data, tenantId, model);
          } else if (CREATING.has(operation)) {
            throw new TenantScopeError("A scoped client cannot create tenants");
          }
          return query(a as typeof args);
        },
      },
    },
  });
  // The extension changes no model's shape, only what its queries filter and write.
  return scoped as unknown as TenantDb;
}

/** One scoped client per tenant, made once: extending a client is not free, tenants are few. */
export function createTenantScopes(db: Db): (tenantId: string) => TenantDb {
  const cache = new Map<string, TenantDb>();
  return (tenantId) => {
    let scoped = cache.get(tenantId);
    if (!scoped) {
      scoped = scopeToTenant(db, tenantId);
      cache.set(tenantId, scoped);
    }
    return scoped;
  };
}
