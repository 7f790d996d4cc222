// Pausing and resuming executions (README "Pause and resume"): the transitions are the engine's
// (engine/lifecycle.ts, engine/store/pause.ts); this module parses the input and names the actor.
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Actor, ExecutionServices } from "./executions.ts";
import { isUuid } from "./stats/scope.ts";

const MAX_REASON_LENGTH = 1000;

/** Stops starting steps; running steps finish, then the run is PAUSED and holds no worker. */
export async function pauseExecution(s: ExecutionServices, actor: Actor, input: { id: string; reason?: string | null }) {
  const reason = input.reason?.trim() || null;
  if (reason && reason.length > MAX_REASON_LENGTH) {
    throw new ValidationError([{ path: ["reason"], message: `must be at most ${MAX_REASON_LENGTH} characters` }]);
  }
  if (!isUuid(input.id)) throw new NotFoundError("Execution", input.id);
  return s.engine.pause(s.db.$tenantId, { id: input.id, reason, by: actor.name ?? actor.id });
}

/** Continues a PAUSED run where it stopped, on whichever worker takes its job. */
export async function resumeExecution(s: ExecutionServices, actor: Actor, input: { id: string }) {
  if (!isUuid(input.id)) throw new NotFoundError("Execution", input.id);
  return s.engine.resume(s.db.$tenantId, { id: input.id, by: actor.name ?? actor.id });
}
