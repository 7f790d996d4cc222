// stepCompleted: a step reached a terminal status (STEP_COMPLETED, _FAILED, _SKIPPED or _CANCELLED
// events). For one execution the stream completes after that execution has finished; for the
// whole tenant it runs until the client stops it.
import type { ExecutionEventType } from "@prisma/client";
import type { EngineEvent } from "../../engine/events.ts";
import { tenantTopic } from "../../realtime/event-bus.ts";
import { emptyStream, isTerminalEvent, type Outcome, transformEvents } from "../../realtime/streams.ts";
import { builder } from "../builder.ts";
import { Step } from "../step/types.ts";
import { freshLoaders, runningExecutionFeed, serve } from "./shared.ts";

const STEP_FINISHED: ReadonlySet<ExecutionEventType> = new Set([
  "STEP_COMPLETED",
  "STEP_FAILED",
  "STEP_SKIPPED",
  "STEP_CANCELLED",
]);

function finishedStep(event: Pick<EngineEvent, "type" | "stepId">): Outcome<string> {
  if (isTerminalEvent(event.type)) return { skip: true, last: true };
  if (STEP_FINISHED.has(event.type) && event.stepId) return { value: event.stepId };
  return { skip: true };
}

builder.subscriptionField("stepCompleted", (t) =>
  t.prismaField({
    type: Step,
    nullable: false,
    description:
      "A step reached COMPLETED, FAILED, SKIPPED or CANCELLED: in the given execution (the stream then completes once " +
      "the execution has finished; at once if it has finished already), or in any execution of the tenant when " +
      "executionId is omitted.",
    args: {
      executionId: t.arg.id({ description: "Global ID of the execution; omit for every execution of the tenant." }),
    },
    subscribe: async (_root, args, ctx) => {
      if (args.executionId == null) {
        const steps = transformEvents(ctx.events.subscribe(tenantTopic(ctx.db.$tenantId)), (event) => {
          const outcome = finishedStep(event);
          // On the tenant's topic a terminal event ends one execution, not this stream.
          return "value" in outcome ? outcome : { skip: true };
        });
        return serve(ctx, steps, "Subscribe again and re-read the steps of the executions you show.");
      }
      const running = await runningExecutionFeed(ctx, args.executionId);
      if (!running) return emptyStream<string>();
      return serve(ctx, transformEvents(running.events, finishedStep), "Subscribe again and re-read the execution's steps.");
    },
    resolve: (query, stepId, _args, ctx) => {
      freshLoaders(ctx);
      return ctx.db.step.findFirstOrThrow({ ...query, where: { id: stepId } });
    },
  }),
);
