import { builder } from "../builder.ts";
import { pageSizeOptions } from "../page-size.ts";
import { ApiKey, ApiKeyConnection } from "./types.ts";

builder.queryFields((t) => ({
  apiKeys: t.prismaConnection(
    {
      type: ApiKey,
      cursor: "id",
      authScopes: { admin: true },
      description: "The tenant's API keys, newest first, revoked ones included (admin only).",
      ...pageSizeOptions,
      resolve: (query, _root, _args, ctx) =>
        ctx.db.apiKey.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      totalCount: (_root, _args, ctx) => ctx.db.apiKey.count(),
    },
    ApiKeyConnection,
  ),
}));
