import type { Db } from "./client.ts";

export const DEV_TENANT_SLUG = "dev";

/**
 * The tenant with this slug, created when missing. Safe when several processes start at once:
 * Prisma's upsert with an empty update is a SELECT then an INSERT, and the process that loses the
 * race fails on the unique slug (P2002); INSERT ... ON CONFLICT DO NOTHING (skipDuplicates) then a
 * read cannot.
 */
export async function ensureTenant(
  db: Db,
  tenant: { slug: string; name: string },
): Promise<{ id: string; slug: string }> {
  await db.tenant.createMany({ data: [tenant], skipDuplicates: true });
  return db.tenant.findUniqueOrThrow({ where: { slug: tenant.slug }, select: { id: true, slug: true } });
}

/** The tenant of dev mode (requests without credentials, see auth/authenticate.ts) and of the seed. */
export function ensureDevTenant(db: Db): Promise<{ id: string; slug: string }> {
  return ensureTenant(db, { slug: DEV_TENANT_SLUG, name: "Development" });
}
