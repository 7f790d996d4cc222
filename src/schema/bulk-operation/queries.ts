import { builder } from "../builder.ts";
import { pageSizeOptions } from "../page-size.ts";
import { BulkOperation, BulkOperationConnection } from "./types.ts";

builder.queryFields((t) => ({
  bulkOperations: t.prismaConnection(
    {
      type: BulkOperation,
      cursor: "id",
      description: "The tenant's bulk operations, newest first.",
      ...pageSizeOptions,
      resolve: (query, _root, _args, ctx) =>
        ctx.db.bulkOperation.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
      totalCount: (_root, _args, ctx) => ctx.db.bulkOperation.count(),
    },
    BulkOperationConnection,
  ),
}));
