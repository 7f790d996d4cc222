import type { Db } from "./client.ts";

export const DEV_TENANT_SLUG = "dev";

/** The tenant every request runs as until authentication exists; created on first start. */
export async function ensureDevTenant(db: Db): Promise<{ id: string; slug: string }> {
  return db.tenant.upsert({
    where: { slug: DEV_TENANT_SLUG },
    update: {},
    create: { slug: DEV_TENANT_SLUG, name: "Development" },
    select: { id: true, slug: true },
  });
}
