import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { ExecutionEventTypeEnum, ExecutionStatusEnum } from "../enums.ts";

export const ExecutionEvent = builder.prismaNode("ExecutionEvent", {
  description:
    "An ordered state change of an execution. sequence is 1, 2, 3, ... with no gaps: a client that saw N can resume after N.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    sequence: t.exposeInt("sequence", { description: "Position in the execution's event log, from 1." }),
    type: t.expose("type", { type: ExecutionEventTypeEnum, description: "What happened." }),
    at: t.expose("at", { type: "DateTime", description: "When it happened." }),
    execution: t.relation("execution", { description: "The run it belongs to." }),
    step: t.relation("step", { nullable: true, description: "The step, for step events." }),
    batch: t.relation("batch", { nullable: true, description: "The batch, for batch and step events." }),
    executionStatus: t.expose("executionStatus", {
      type: ExecutionStatusEnum,
      description: "The execution's status right after this event.",
    }),
    data: t.expose("data", { type: "JSON", nullable: true, description: "Details, e.g. an error or a reason." }),
  }),
});

export const ExecutionEventConnection = connectionWithTotalCount("ExecutionEvent", ExecutionEvent);
