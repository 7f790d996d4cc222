// pauseExecution and resumeExecution (README "Pause and resume").
import { pauseExecution, resumeExecution } from "../../services/pause.ts";
import { builder } from "../builder.ts";
import { decodeIdOf } from "../global-id.ts";
import { executionPayload } from "./mutations.ts";
import { Execution } from "./types.ts";

const PauseExecutionInput = builder.inputType("PauseExecutionInput", {
  description: "The run to pause.",
  fields: (t) => ({
    id: t.id({ required: true, description: "A queued or running execution's global ID." }),
    reason: t.string({ description: "Why; recorded on the EXECUTION_PAUSED event." }),
  }),
});

const ResumeExecutionInput = builder.inputType("ResumeExecutionInput", {
  description: "The run to resume.",
  fields: (t) => ({
    id: t.id({ required: true, description: "A PAUSED execution's global ID." }),
  }),
});


builder.mutationFields((t) => ({
  pauseExecution: t.field({
    authScopes: { operator: true },
    type: Execution,
    description:
      "Pauses a queued or running run: no new step starts, running steps finish, then the run is PAUSED " +
      "(EXECUTION_PAUSED) and holds no worker. Returned PAUSED when no step was running, else still RUNNING " +
      "until its running steps have finished.",
    args: { input: t.arg({ type: PauseExecutionInput, required: true, description: "The run to pause." }) },
    errors: executionPayload("PauseExecution", "paused"),
    resolve: (_root, { input }, ctx) =>
      pauseExecution(ctx.executions, ctx.actor, { id: decodeIdOf("Execution", String(input.id)), reason: input.reason }),
  }),
  resumeExecution: t.field({
    authScopes: { operator: true },
    type: Execution,
    description: "Resumes a PAUSED run where it stopped (EXECUTION_RESUMED): completed steps are not run again.",
    args: { input: t.arg({ type: ResumeExecutionInput, required: true, description: "The run to resume." }) },
    errors: executionPayload("ResumeExecution", "resumed"),
    resolve: (_root, { input }, ctx) =>
      resumeExecution(ctx.executions, ctx.actor, { id: decodeIdOf("Execution", String(input.id)) }),
  }),
}));
