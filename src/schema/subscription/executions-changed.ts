// executionsChanged: executions of the tenant whose status changed (EXECUTION_* events) and that
// match the filter, with the same meaning as the executions query. Runs until the client stops it.
// Superseded by executionListChanges (it never says a run left the filter, and has no cursor);
// kept for existing clients.
import { executionWhere, ExecutionFilter } from "../execution/filter.ts";
import { tenantTopic } from "../../realtime/event-bus.ts";
import { stableJson } from "../../realtime/fanout.ts";
import { transformEvents } from "../../realtime/streams.ts";
import { builder } from "../builder.ts";
import { Execution } from "../execution/types.ts";
import { freshLoaders, serve } from "./shared.ts";

const isExecutionEvent = (type: string) => type.startsWith("EXECUTION_");

builder.subscriptionField("executionsChanged", (t) =>
  t.prismaField({
    type: Execution,
    nullable: false,
    description:
      "Any execution of the tenant whose status changed and that matches the filter (as in the executions query; " +
      "its status filter applies to the status the change set), read fresh. Superseded by executionListChanges, which also reports runs that leave the filter, moves progress " +
      "and resumes from a cursor without loss.",
    args: { filter: t.arg({ type: ExecutionFilter, description: "Only executions that match this." }) },
    subscribe: (_root, args, ctx) => {
      // Built first: an invalid filter fails the subscription instead of every event. The status is
      // the one the event committed, not the one read later: by the time EXECUTION_STARTED's check
      // runs, a short run may have finished, and would be sent twice (again for its COMPLETED).
      const statuses = args.filter?.status ?? null;
      const where = executionWhere({ ...args.filter, status: null });
      const tenantId = ctx.db.$tenantId;
      const filter = stableJson(args.filter);
      const changes = transformEvents(ctx.events.subscribe(tenantTopic(tenantId)), async (event) => {
        if (!isExecutionEvent(event.type)) return { skip: true };
        if (statuses && !statuses.includes(event.executionStatus)) return { skip: true };
        // One check per event and filter, whoever subscribed with it: the key names the event.
        const key = `changed|${tenantId}|${event.executionId}:${event.sequence}|${filter}`;
        const match = await ctx.fanout.share(key, () =>
          ctx.db.execution.findFirst({ where: { AND: [where, { id: event.executionId }] }, select: { id: true } }),
        );
        return match ? { value: match.id } : { skip: true };
      });
      return serve(ctx, changes, "Subscribe again and re-read the list.");
    },
    resolve: (query, id, _args, ctx) => {
      freshLoaders(ctx);
      return ctx.db.execution.findFirstOrThrow({ ...query, where: { id } });
    },
  }),
);
