// GraphQL enums, derived from the Prisma enums so the two cannot drift.
import { ExecutionEventType, ExecutionStatus, LogLevel, Role, StepStatus, TriggerSource } from "@prisma/client";
import { builder } from "./builder.ts";

export const ExecutionStatusEnum = builder.enumType(ExecutionStatus, {
  name: "ExecutionStatus",
  description:
    "Where an execution is in its life: PENDING (queued), RUNNING, PAUSED (no step starts until resumeExecution; not final), " +
    "or one of the final states COMPLETED, FAILED, CANCELLED, TIMED_OUT.",
});
export const StepStatusEnum = builder.enumType(StepStatus, {
  name: "StepStatus",
  description: "Where a step (or a batch) is in its life.",
});
export const TriggerSourceEnum = builder.enumType(TriggerSource, {
  name: "TriggerSource",
  description: "What started an execution.",
});
export const ExecutionEventTypeEnum = builder.enumType(ExecutionEventType, {
  name: "ExecutionEventType",
  description: "The kind of state change an event records.",
});
export const LogLevelEnum = builder.enumType(LogLevel, { name: "LogLevel", description: "Severity of a log entry." });
export const OrderDirectionEnum = builder.enumType("OrderDirection", {
  description: "Sort direction.",
  values: { ASC: { value: "asc" }, DESC: { value: "desc" } } as const,
});
export const RoleEnum = builder.enumType(Role, {
  name: "Role",
  description: "What a credential may do: VIEWER reads and subscribes; OPERATOR also starts, cancels, retries, pauses and resumes; ADMIN also manages workflows, API keys and deletes executions.",
});
