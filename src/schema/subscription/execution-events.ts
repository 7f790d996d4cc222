// executionEvents: the persisted log after `afterSequence`, then live events, gapless and in
// order. The stream completes after the execution's terminal event (EXECUTION_COMPLETED, _FAILED,
// _CANCELLED or _TIMED_OUT) has been delivered; for a finished execution whose log the client has
// seen entirely, it completes at once.
import type { ExecutionEvent as ExecutionEventRow } from "@prisma/client";
import { BadUserInputError } from "../../errors.ts";
import { positionArgs } from "../../realtime/operation-key.ts";
import { emptyStream, isTerminalStatus } from "../../realtime/streams.ts";
import { builder } from "../builder.ts";
import { ExecutionEvent } from "../event/types.ts";
import { executionFeed, freshLoaders, hasSelections, serve, visibleExecution } from "./shared.ts";

builder.subscriptionField("executionEvents", (t) =>
  t.prismaField({
    type: ExecutionEvent,
    nullable: false,
    description:
      "The execution's events with sequence > afterSequence: first the persisted ones, then live ones as they happen; " +
      "gapless, in order, without duplicates. Completes after the terminal event (EXECUTION_COMPLETED, EXECUTION_FAILED, " +
      "EXECUTION_CANCELLED or EXECUTION_TIMED_OUT). To resume after a disconnect, pass the last sequence received.",
    args: {
      executionId: t.arg.id({ required: true, description: "Global ID of the execution." }),
      afterSequence: t.arg.int({
        defaultValue: 0,
        description: "Deliver events after this sequence (0 = from the start).",
      }),
    },
    // Subscribers from different sequences share each event's resolution (the resolver ignores it).
    extensions: positionArgs("afterSequence"),
    subscribe: async (_root, args, ctx) => {
      const after = args.afterSequence ?? 0;
      if (after < 0) throw new BadUserInputError("afterSequence must be 0 or greater");
      const execution = await visibleExecution(ctx, args.executionId, after);
      // Read before subscribing: a finished execution has no events to come.
      if (isTerminalStatus(execution.status) && execution.lastEventSequence <= after) {
        return emptyStream<ExecutionEventRow>();
      }
      const events = executionFeed(ctx, execution.id, after);
      // Never overflows: it reads what it missed from the database.
      return serve(ctx, events);
    },
    // The replay read whole rows; only selected relations need another read.
    resolve: (query, row, _args, ctx) => {
      freshLoaders(ctx);
      return hasSelections(query) ? ctx.db.executionEvent.findUniqueOrThrow({ ...query, where: { id: row.id } }) : row;
    },
  }),
);
