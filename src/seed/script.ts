// What the seeded actions answer in one run: for each attempt of a step, how long it takes and how
// it ends. The outcome a run heads for (its target) is chosen when the seed is planned; here it
// becomes the failing step, the hanging one or the one the run is cancelled in. Each step draws
// from its own random stream, so a run plays out the same whichever of its steps the engine asks
// about first. Only http and email fail on their own; transform, log and fail are the real actions.
import { failed, type ActionResult } from "../engine/actions/types.ts";
import type { StepDefinition, WorkflowDefinition } from "../engine/definition.ts";
import { createRandom, type Random } from "./random.ts";
import type { Json, StepError, WorkflowProfile } from "./workflow-profile.ts";

export type Target = "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT" | "PENDING" | "RUNNING";

export type Attempt = {
  /** How long the attempt takes; Infinity: it never answers, only the run's deadline ends it. */
  ms: number;
  result: ActionResult;
  /** The run is cancelled this long into the attempt (it has not answered by then). */
  cancelAfterMs?: number;
};

export type RunScript = {
  /** Attempt `attempt` (1, 2, …) of step `key`, called with its resolved config. */
  attempt(key: string, attempt: number, config: Json): Attempt;
};

// Median duration of one attempt by action type, for steps the profile gives no latency for.
const TYPE_LATENCY: Record<string, number> = { http: 180, email: 550 };
const NON_CRITICAL_FAILURE_RATE = 0.07;
const TRANSIENT_FAILURE_RATE = 0.04;
const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
const STATUS_TEXT: Record<number, string> = {
  402: "Payment Required",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

const callsOut = (step: StepDefinition) => step.type === "http" || step.type === "email";
const requestTimeout = (step: StepDefinition) => Number(step.config["timeoutMs"] ?? DEFAULT_HTTP_TIMEOUT_MS);

/**
 * Steps that can hang until the run's deadline: an email (the action sets no deadline of its own)
 * or a request allowed to take longer than the whole run; neither with a step timeoutMs.
 */
export function hangCandidates(definition: WorkflowDefinition): StepDefinition[] {
  const limit = definition.timeoutMs;
  if (limit === undefined) return [];
  const outlives = (s: StepDefinition) => s.type === "email" || (s.type === "http" && requestTimeout(s) >= limit);
  return definition.steps.filter((s) => !s.when && s.timeoutMs === undefined && outlives(s));
}

export function createRunScript(options: {
  profile: WorkflowProfile;
  definition: WorkflowDefinition;
  input: Json;
  target: Target;
  rng: Random;
}): RunScript {
  const { profile, definition, input, target, rng } = options;
  const steps = new Map(definition.steps.map((s) => [s.id, s]));
  const unconditional = definition.steps.filter((s) => !s.when);
  const pick = (list: StepDefinition[]) => (list.length > 0 ? rng.pick(list).id : undefined);
  const degraded = target === "FAILED";
  // A workflow with a guarded `fail` step mostly fails through it: its checks see degraded answers.
  const failsItself = degraded && definition.steps.some((s) => s.type === "fail") && rng.chance(0.7);
  const failStep = degraded && !failsItself ? pick(unconditional.filter((s) => s.critical && callsOut(s))) : undefined;
  const hangStep = target === "TIMED_OUT" ? pick(hangCandidates(definition)) : undefined;
  const cuttable = unconditional.filter((s) => callsOut(s) || s.type === "delay");
  const cutStep = target === "CANCELLED" ? pick(cuttable) : undefined;
  const seed = rng.int(0, 2 ** 31);
  const scripts = new Map<string, ReturnType<typeof stepScript>>();

  function stepScript(step: StepDefinition, config: Json) {
    const random = createRandom(seed ^ hash(step.id));
    const policyAttempts = step.retry?.maxAttempts ?? 1;
    const flaky = callsOut(step);
    const fails = step.id === failStep || (flaky && !step.critical && random.chance(NON_CRITICAL_FAILURE_RATE));
    const transient = flaky && !fails && policyAttempts > 1 && random.chance(TRANSIENT_FAILURE_RATE);
    return {
      random,
      finalError: fails ? pickError(step, config, random, true) : undefined,
      transientError: transient ? pickError(step, config, random, false) : undefined,
      cutFraction: step.id === cutStep ? 0.05 + 0.9 * random.next() : undefined,
    };
  }

  return {
    attempt(key, attempt, config) {
      const step = steps.get(key);
      if (!step) throw new Error(`the seed scripted a step that is not in the definition: ${key}`);
      let script = scripts.get(key);
      if (!script) {
        script = stepScript(step, config);
        scripts.set(key, script);
      }
      const { random, cutFraction } = script;
      // The run is cancelled during the first attempt of its cut step, some way into it.
      const cut = (planned: Omit<Attempt, "cancelAfterMs">): Attempt =>
        cutFraction === undefined || attempt > 1
          ? planned
          : { ...planned, cancelAfterMs: Math.max(1, Math.floor(planned.ms * cutFraction)) };
      if (step.type === "delay") {
        const ms = Number(config["ms"]);
        return cut({ ms, result: { status: "completed", output: { sleptMs: ms } } });
      }
      if (key === hangStep) {
        // The request runs into its own timeout only after the run's deadline (hangCandidates).
        const ms = step.type === "http" ? requestTimeout(step) : Infinity;
        const request = `${String(config["method"] ?? "GET")} ${String(config["url"])}`;
        return { ms, result: failed("TIMEOUT", `${request} timed out after ${ms} ms`, true) };
      }
      const ms = random.latency(profile.latencyMs?.[key] ?? TYPE_LATENCY[step.type] ?? 100);
      if (step.timeoutMs !== undefined && ms > step.timeoutMs) {
        // What the engine reports when a step's own timeoutMs aborts it.
        const message = `the step exceeded its timeoutMs of ${step.timeoutMs} ms`;
        return cut({ ms: step.timeoutMs, result: failed("STEP_TIMEOUT", message, true) });
      }
      const error = script.finalError ?? (attempt === 1 ? script.transientError : undefined);
      if (error) return cut({ ms, result: failed(error.code, error.message, error.retryable) });
      const value = output(step, { rng: random, input, config, degraded });
      return cut({ ms, result: { status: "completed", output: value } });
    },
  };

  function output(step: StepDefinition, ctx: { rng: Random; input: Json; config: Json; degraded: boolean }): unknown {
    const custom = profile.outputs?.[step.id]?.(ctx);
    switch (step.type) {
      case "http": {
        const response = (custom ?? { status: ctx.config["method"] === "POST" ? 201 : 200, body: { ok: true } }) as {
          status: number;
          body?: unknown;
        };
        const headers = { "content-type": "application/json" };
        return { status: response.status, headers, body: response.body ?? null };
      }
      case "email":
        return custom ?? { delivered: true, transport: "smtp", id: `<${ctx.rng.hex(16)}@mail.acme.example>` };
      default:
        return custom ?? null;
    }
  }

  /** `permanent` errors may come from the profile's catalogue (a declined card); transient ones never do. */
  function pickError(step: StepDefinition, config: Json, random: Random, permanent: boolean) {
    const specific = profile.errors?.[step.id];
    const chosen: StepError =
      permanent && specific && random.chance(0.75)
        ? random.pick(specific)
        : step.type === "email"
          ? random.pick([
              { code: "EMAIL_SEND_FAILED", detail: `550 5.1.1 <${String(config["to"])}>: Recipient address rejected` },
              { code: "EMAIL_SEND_FAILED", detail: "421 4.7.0 Temporary System Problem. Try again later" },
            ])
          : random.pick([
              { code: "HTTP_502" },
              { code: "HTTP_503" },
              { code: "HTTP_500" },
              { code: "HTTP_NETWORK_ERROR", detail: `fetch failed: connect ECONNREFUSED ${address(random)}:443` },
            ]);
    return { code: chosen.code, message: describeError(chosen, config), retryable: isRetryable(chosen.code) };
  }
}

/** The message the real action writes for this failure. */
function describeError({ code, detail }: StepError, config: Json): string {
  const request = `${String(config["method"] ?? "GET")} ${String(config["url"])}`;
  const status = /^HTTP_(\d{3})$/.exec(code)?.[1];
  if (status) {
    const line = `${request} returned ${status} ${STATUS_TEXT[Number(status)] ?? ""}`.trim();
    return detail ? `${line}: ${detail}` : line;
  }
  if (code === "HTTP_NETWORK_ERROR") return `${request}: ${detail ?? "fetch failed"}`;
  if (code === "EMAIL_SEND_FAILED") return `sending the email failed: ${detail ?? "the server refused the message"}`;
  return detail ?? code;
}

/** As the http and email actions decide it: worth retrying unless the other side refused for good. */
function isRetryable(code: string): boolean {
  const status = Number(/^HTTP_(\d{3})$/.exec(code)?.[1]);
  if (status) return status === 408 || status === 429 || status >= 500;
  return code === "HTTP_NETWORK_ERROR" || code === "EMAIL_SEND_FAILED";
}

const address = (random: Random) => `10.0.${random.int(0, 9)}.${random.int(2, 250)}`;

// FNV-1a: a step id's share of the run's seed, so each step has a stream of its own.
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
