import type { Db } from "./client.ts";

export const DEV_TENANT_SLUG = "dev";

/** The tenant of dev mode (requests without credentials, see auth/authenticate.ts) and of the seed. */
export async function ensureDevTenant(db: Db): Promise<{ id: string; slug: string }> {
  return db.tenant.upsert({
    where: { slug: DEV_TENANT_SLUG },
    update: {},
    create: { slug: DEV_TENANT_SLUG, name: "Development" },
    select: { id: true, slug: true },
  });
}
