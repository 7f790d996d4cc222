// executionListChanges: a live list view that stays true. Every change of the tenant's executions
// after the `after` cursor, as seen by the filter: ENTERED when a run starts matching it (created,
// or changed into it), UPDATED while it matches (status, error, progress at most every 250 ms),
// LEFT when it stops (a deleted run leaves every list). Served from one shared read of the change
// log per tenant (read/list-changes).
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import { positionArgs } from "../../realtime/operation-key.ts";
import { builder } from "../builder.ts";
import { executionListFilter, ExecutionFilter } from "../execution/filter.ts";
import { Execution } from "../execution/types.ts";
import { readDeletedExecution } from "../../read/list-changes/deleted-execution.ts";
import { loadProgress, type Progress } from "../../read/progress.ts";
import type { ListChange } from "../../read/list-changes/feed.ts";
import { freshLoaders, serve } from "./shared.ts";

const ExecutionListChangeKind = builder.enumType("ExecutionListChangeKind", {
  description: "How a change affects a filtered list of executions.",
  values: {
    ENTERED: { description: "The execution now matches the filter: created, or changed into it. Add it." },
    UPDATED: { description: "The execution changed and still matches. Replace it." },
    LEFT: { description: "The execution no longer matches the filter (e.g. it left RUNNING, or was deleted). Remove it." },
  } as const,
});

const ExecutionListChange = builder.objectRef<ListChange>("ExecutionListChange").implement({
  description: "One change of a filtered list of executions (executionListChanges).",
  fields: (t) => ({
    kind: t.field({ type: ExecutionListChangeKind, description: "What to do with the list.", resolve: (c) => c.kind }),
    execution: t.prismaField({
      type: Execution,
      description:
        "The execution as it is now (read when the change is delivered, so possibly newer than the change). A deleted " +
        "one (its LEFT, and changes of it still to deliver) as it was when deleted: what went with it is empty, and " +
        "input, output, context and retryOf are null.",
      // Every subscriber of the same poll with the same selection gets one read, of all the poll's runs.
      resolve: async (query, change, _args, ctx) => {
        const execution = await change.sharedByRun(`execution ${JSON.stringify(query)}`, async (ids) => {
          const select = "select" in query && query.select ? { select: { ...query.select, id: true } } : {};
          const rows = await ctx.db.execution.findMany({ ...query, ...select, where: { id: { in: [...ids] } } });
          return new Map(rows.map((row) => [row.id, row]));
        });
        if (execution) return execution;
        const deleted = await change.shared(`deleted ${JSON.stringify(query)}`, () =>
          readDeletedExecution(ctx.sql, ctx.db.$tenantId, change.executionId, query),
        );
        if (!deleted) throw new Error(`execution ${change.executionId} is gone and its deletion is no longer in the change log`);
        return deleted as typeof execution & object;
      },
    }),
    cursor: t.string({
      description:
        "Subscribe again with `after` set to this to get every later change and none twice (after a disconnect, or on another server).",
      resolve: (c) => c.cursor(),
    }),
  }),
});

builder.subscriptionField("executionListChanges", (t) =>
  t.field({
    type: ExecutionListChange,
    nullable: false,
    description:
      "Every change of the tenant's executions after `after`, as it affects the list that `filter` selects (the same " +
      "filter as the executions query): read a list with its changesCursor, subscribe with `after` set to it, apply the " +
      "changes; resubscribe with the last change's cursor. None is lost or delivered twice, across reconnects and server " +
      "processes. Without `after`: changes from now on.",
    args: {
      filter: t.arg({ type: ExecutionFilter, description: "The list's filter." }),
      after: t.arg.string({
        description:
          "An ExecutionConnection.changesCursor or an ExecutionListChange.cursor. Invalid: BAD_USER_INPUT; older than " +
          "the change log's retention: CURSOR_EXPIRED (read the list again).",
      }),
    },
    // Viewers of one list share each change's resolution whatever cursor they came from (the
    // resolver ignores it): a change's own cursor is part of what it stands for (ListStream.cause).
    extensions: positionArgs("after"),
    subscribe: (_root, args, ctx) => {
      const changes = ctx.listChanges.subscribe(ctx.db.$tenantId, executionListFilter(args.filter), args.after ?? null);
      return serve(ctx, changes);
    },
    resolve: (change, _args, ctx, info) => {
      freshLoaders(ctx);
      // Execution.progress reads through the context's loader: give it the poll's shared read.
      if (selects(info, ["execution", "progress"])) {
        const progress = change
          .sharedByRun("progress", async (ids) => {
            const counts = await loadProgress(ctx.db, ids);
            return new Map(ids.map((id, n) => [id, counts[n] as Progress]));
          })
          .then((found) => found as Progress);
        ctx.loaders.progress.prime(change.executionId, progress);
      }
      return change;
    },
  }),
);

/** Whether the field's selection (fragments included) reaches `path`. */
function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const within = (set: SelectionSetNode | undefined, rest: readonly string[]): boolean =>
    rest.length === 0 ||
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === rest[0] && within(s.selectionSet, rest.slice(1));
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet, rest);
      return within(info.fragments[s.name.value]?.selectionSet, rest);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet, path));
}
