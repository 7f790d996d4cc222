// executionUpdated: the fresh execution after each change. Events that arrive while the previous
// row is being read or sent are coalesced into one update. Completes after the terminal event.
import { emptyStream, isTerminalEvent, transformEvents } from "../../realtime/streams.ts";
import { builder } from "../builder.ts";
import { Execution } from "../execution/types.ts";
import { freshLoaders, runningExecutionFeed, serve } from "./shared.ts";

builder.subscriptionField("executionUpdated", (t) =>
  t.prismaField({
    type: Execution,
    nullable: false,
    description:
      "The execution, read fresh, whenever its status or progress changes (changes in quick succession may arrive as " +
      "one update). Completes after the execution has finished; at once if it has finished already.",
    args: { id: t.arg.id({ required: true, description: "Global ID of the execution." }) },
    subscribe: async (_root, args, ctx) => {
      const running = await runningExecutionFeed(ctx, args.id);
      if (!running) return emptyStream<string>();
      const { execution, events } = running;
      const updates = transformEvents(events, (event, source) => {
        const all = [event, ...source.drain()];
        return { value: execution.id, last: all.some((e) => isTerminalEvent(e.type)) };
      });
      return serve(ctx, updates, "Subscribe again and re-read the execution.");
    },
    resolve: (query, id, _args, ctx) => {
      freshLoaders(ctx);
      return ctx.db.execution.findFirstOrThrow({ ...query, where: { id } });
    },
  }),
);
