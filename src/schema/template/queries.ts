import { BadUserInputError } from "../../errors.ts";
import { countTemplates, listTemplates } from "../../read/templates.ts";
import { builder } from "../builder.ts";
import { decodeOffset, offsetConnection } from "../offset-cursor.ts";
import { assertPageSize, DEFAULT_PAGE_SIZE } from "../page-size.ts";
import { WorkflowTemplate, WorkflowTemplateConnection } from "./types.ts";

builder.queryFields((t) => ({
  workflowTemplates: t.connection(
    {
      type: WorkflowTemplate,
      description: "Templates to start a workflow from: the public ones and your tenant's own, by name.",
      args: {
        category: t.arg.string({ description: "Only this category (case-insensitive)." }),
        search: t.arg.string({ description: "Case-insensitive substring of the name, description or a tag." }),
      },
      resolve: async (_root, args, ctx) => {
        assertPageSize(args);
        if (args.last != null || args.before != null) {
          throw new BadUserInputError("workflowTemplates pages forwards only: use first/after");
        }
        const offset = args.after ? decodeOffset(args.after) + 1 : 0;
        const filter = { category: args.category, search: args.search };
        const [rows, totalCount] = await Promise.all([
          listTemplates(ctx.db, ctx.db.$tenantId, filter, { limit: args.first ?? DEFAULT_PAGE_SIZE, offset }),
          countTemplates(ctx.db, ctx.db.$tenantId, filter),
        ]);
        return offsetConnection(rows, offset, totalCount);
      },
    },
    WorkflowTemplateConnection,
  ),
}));
