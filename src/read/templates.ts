// Workflow templates a tenant sees: the public ones (tenantId NULL) and its own. Raw SQL because
// the tenant-scoped client would hide the public rows; every statement names the tenant.
import { Prisma } from "@prisma/client";
import { isUuid, type RawDb } from "./sql.ts";

export type TemplateRow = {
  id: string;
  tenantId: string | null;
  name: string;
  description: string | null;
  category: string | null;
  tags: string[];
  definition: Prisma.JsonValue;
  usageCount: number;
};

export type TemplateFilter = { category?: string | null; search?: string | null };

const COLUMNS = Prisma.sql`id, "tenantId", name, description, category, tags, definition, "usageCount"`;

function visible(tenantId: string, filter: TemplateFilter): Prisma.Sql {
  const conditions = [Prisma.sql`("tenantId" IS NULL OR "tenantId" = ${tenantId}::uuid)`];
  const category = filter.category?.trim();
  if (category) conditions.push(Prisma.sql`lower(category) = lower(${category})`);
  const search = filter.search?.trim();
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, "\\$&")}%`;
    conditions.push(Prisma.sql`(name ILIKE ${like} OR description ILIKE ${like}
      OR EXISTS (SELECT 1 FROM unnest(tags) AS tag WHERE tag ILIKE ${like}))`);
  }
  return Prisma.join(conditions, " AND ");
}

/** A page by name (then id), public and own templates alike. */
export function listTemplates(db: RawDb, tenantId: string, filter: TemplateFilter, page: { limit: number; offset: number }) {
  return db.$queryRaw<TemplateRow[]>(Prisma.sql`/* read:templates */ SELECT ${COLUMNS} FROM "WorkflowTemplate"
    WHERE ${visible(tenantId, filter)} ORDER BY name, id LIMIT ${page.limit} OFFSET ${page.offset}`);
}

export async function countTemplates(db: RawDb, tenantId: string, filter: TemplateFilter): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>(
    Prisma.sql`/* read:templates-count */ SELECT count(*)::int AS n FROM "WorkflowTemplate" WHERE ${visible(tenantId, filter)}`,
  );
  return row?.n ?? 0;
}

/** Templates by id that the tenant may see, in the order asked (null where one is not visible). */
export async function findTemplates(db: RawDb, tenantId: string, ids: readonly string[]): Promise<(TemplateRow | null)[]> {
  const valid = ids.filter(isUuid);
  const rows = valid.length
    ? await db.$queryRaw<TemplateRow[]>(Prisma.sql`/* read:templates-by-id */ SELECT ${COLUMNS} FROM "WorkflowTemplate"
        WHERE id IN (${Prisma.join(valid.map((id) => Prisma.sql`${id}::uuid`))}) AND ${visible(tenantId, {})}`)
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
}
