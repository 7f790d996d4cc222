// One step's run as the seed imagines it: its attempts (with retries and backoff), its output or
// error, and the log lines an action of its type would write. Times are ms since the execution
// was created; `end` may be Infinity for a step that hangs until the execution times out.
import type { LogLevel } from "@prisma/client";
import type { RetryPolicy, StepDefinition } from "../engine/definition.ts";
import type { Json, StepContext, StepError, WorkflowProfile } from "./workflow-profile.ts";

export type Attempt = { start: number; end: number; error?: StepError };
export type StepRun = { attempts: Attempt[]; output?: unknown; error?: StepError };
/** ok: succeeds (maybe after a transient failure); fail: fails every attempt; hang: never returns. */
export type RunMode = "ok" | "fail" | "hang";
export type LogLine = { at: number; level: LogLevel; message: string };

// Median duration of one attempt by action type, for steps the profile gives no latency for.
const TYPE_LATENCY: Record<string, number> = { http: 180, email: 550, transform: 5, log: 2, fail: 1 };
const NON_CRITICAL_FAILURE_RATE = 0.07;
const TRANSIENT_FAILURE_RATE = 0.04;
const NO_RETRY: RetryPolicy = { maxAttempts: 1, backoffMs: 0 };

export function planStepRun(
  step: StepDefinition,
  start: number,
  mode: RunMode,
  ctx: StepContext & { profile: WorkflowProfile },
): StepRun {
  const { rng } = ctx;
  // Retrying a deliberate failure is pointless, so a fail step gets one attempt whatever the policy.
  // A workflow's own `retry` is the engine's policy for retrying whole runs, not steps.
  const policy = step.type === "fail" ? NO_RETRY : (step.retry ?? NO_RETRY);
  // Only calls to other systems fail on their own; a delay or a log step does what it is told.
  const flaky = step.type === "http" || step.type === "email";
  const fails =
    mode === "fail" || step.type === "fail" || (flaky && !step.critical && rng.chance(NON_CRITICAL_FAILURE_RATE));
  const transient = flaky && !fails && policy.maxAttempts > 1 && rng.chance(TRANSIENT_FAILURE_RATE);
  const finalError = fails ? pickError(step, ctx, true) : undefined;

  const attempts: Attempt[] = [];
  let at = start;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    const last = n === policy.maxAttempts;
    if (mode === "hang") {
      attempts.push({ start: at, end: Number.POSITIVE_INFINITY });
      break;
    }
    const planned = duration(step, ctx);
    const timedOut = step.timeoutMs !== undefined && planned > step.timeoutMs;
    const end = at + (timedOut ? (step.timeoutMs as number) : planned);
    const error = timedOut
      ? { code: "TIMEOUT", message: `Step timed out after ${step.timeoutMs} ms` }
      : fails
        ? finalError
        : transient && n === 1
          ? pickError(step, ctx, false)
          : undefined;
    attempts.push({ start: at, end, ...(error ? { error } : {}) });
    if (!error || last) break;
    at = end + Math.round(policy.backoffMs * (policy.factor ?? 1) ** (n - 1)) + rng.int(0, 40);
  }
  const lastError = attempts.at(-1)?.error;
  if (lastError) return { attempts, error: lastError };
  return { attempts, output: mode === "hang" ? undefined : output(step, ctx) };
}

function duration(step: StepDefinition, ctx: StepContext & { profile: WorkflowProfile }): number {
  if (step.type === "delay") return Number(ctx.config.ms ?? 1000) + ctx.rng.int(1, 15);
  return ctx.rng.latency(ctx.profile.latencyMs?.[step.id] ?? TYPE_LATENCY[step.type] ?? 100);
}

function output(step: StepDefinition, ctx: StepContext & { profile: WorkflowProfile }): unknown {
  const custom = ctx.profile.outputs?.[step.id];
  if (custom) return custom(ctx);
  const { config, rng } = ctx;
  switch (step.type) {
    case "http":
      return { status: config.method === "POST" ? 201 : 200, body: { ok: true } };
    case "email":
      return {
        messageId: `<${rng.hex(16)}@mail.acme.example>`,
        accepted: Array.isArray(config.to) ? config.to.length : 1,
      };
    case "delay":
      return { waitedMs: config.ms };
    case "transform":
      return config.output;
    case "log":
      return { message: config.message };
    default:
      return null;
  }
}

/** `permanent` errors may come from the profile's catalogue (a declined card); transient ones never do. */
function pickError(
  step: StepDefinition,
  ctx: StepContext & { profile: WorkflowProfile },
  permanent: boolean,
): StepError {
  const { config, rng } = ctx;
  const specific = ctx.profile.errors?.[step.id];
  if (permanent && specific && rng.chance(0.75)) return rng.pick(specific);
  const target = `${String(config.method ?? "GET")} ${String(config.url ?? "")}`;
  switch (step.type) {
    case "http":
      return rng.pick([
        { code: "HTTP_502", message: `${target} responded 502 Bad Gateway` },
        { code: "HTTP_503", message: `${target} responded 503 Service Unavailable` },
        { code: "HTTP_500", message: `${target} responded 500 Internal Server Error` },
        { code: "NETWORK_ERROR", message: `connect ECONNREFUSED 10.0.${rng.int(0, 9)}.${rng.int(2, 250)}:443` },
      ]);
    case "email":
      return rng.pick([
        { code: "EMAIL_REJECTED", message: `550 5.1.1 <${String(config.to)}>: Recipient address rejected` },
        { code: "EMAIL_PROVIDER_ERROR", message: "421 4.7.0 Temporary System Problem. Try again later" },
      ]);
    case "transform":
      return { code: "TEMPLATE_ERROR", message: "Template produced no value for a required field" };
    case "fail":
      return { code: String(config.code ?? "FAILED"), message: String(config.message ?? "Failed by a fail step") };
    default:
      return { code: "INTERNAL_ERROR", message: "The step runner lost its lease" };
  }
}

/** What the action logs when an attempt starts and when it ends well. */
export function describe(
  step: StepDefinition,
  config: Json,
  run: StepRun,
  attempt: Attempt,
): { start: string; done?: string } {
  const ms = attempt.end - attempt.start;
  switch (step.type) {
    case "http": {
      const status = (run.output as { status?: number } | undefined)?.status;
      const target = `${String(config.method)} ${String(config.url)}`;
      return { start: target, done: `${target} -> ${status} in ${ms} ms` };
    }
    case "email":
      return {
        start: `Sending "${String(config.subject)}" to ${String(config.to)}`,
        done: `Accepted by the mail provider in ${ms} ms`,
      };
    case "delay":
      return { start: `Waiting ${String(config.ms)} ms`, done: `Resumed after ${ms} ms` };
    case "transform":
      return { start: "Evaluating template", done: `Produced ${Object.keys(Object(run.output)).length} field(s)` };
    case "log":
      return { start: String(config.message) };
    default:
      return { start: `Running ${step.type} step` };
  }
}

/** The log level a log step writes its message at. */
export function logStepLevel(config: Json): LogLevel {
  const level = String(config.level ?? "info").toUpperCase();
  return level === "DEBUG" || level === "WARN" || level === "ERROR" ? level : "INFO";
}
