import type { Prisma } from "@prisma/client";
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { LogLevelEnum } from "../enums.ts";
import { decodeIdOf } from "../global-id.ts";

export const LogFilter = builder.inputType("LogFilter", {
  description: "Narrows a list of log entries; all given conditions must hold.",
  fields: (t) => ({
    level: t.field({ type: [LogLevelEnum], description: "Only these levels." }),
    stepId: t.id({ description: "Only entries of this step." }),
    search: t.string({ description: "Case-insensitive substring of the message." }),
  }),
});

export function logWhere(filter?: typeof LogFilter.$inferInput | null): Prisma.LogEntryWhereInput {
  if (!filter) return {};
  const search = filter.search?.trim();
  return {
    ...(filter.level ? { level: { in: filter.level } } : {}),
    ...(filter.stepId != null ? { stepId: decodeIdOf("Step", String(filter.stepId)) } : {}),
    ...(search ? { message: { contains: search, mode: "insensitive" as const } } : {}),
  };
}

export const LogEntry = builder.prismaNode("LogEntry", {
  description: "A line a step (or the engine) wrote while a run executed.",
  id: { field: "id" },
  findUnique: (id) => ({ id }),
  // node(id) of a missing or foreign row is null, not findUniqueOrThrow's (masked) error.
  nullable: true,
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime", description: "When it was written." }),
    level: t.expose("level", { type: LogLevelEnum, description: "Severity." }),
    message: t.exposeString("message", { description: "The text." }),
    step: t.relation("step", { nullable: true, description: "The step that wrote it; null for run-level entries." }),
    execution: t.relation("execution", { description: "The run it belongs to." }),
    data: t.expose("data", { type: "JSON", nullable: true, description: "Structured details." }),
  }),
});

export const LogEntryConnection = connectionWithTotalCount("LogEntry", LogEntry);
