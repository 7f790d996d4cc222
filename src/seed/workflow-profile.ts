// A seeded workflow: its stored definitions (one per version) plus how the seed makes its runs look
// real — who triggers it, what its input looks like, what each step returns and how it fails.
// Definitions are plain data in the engine's format; the behaviour around them exists only here.
import type { WorkflowDefinitionInput } from "../engine/definition.ts";
import type { Random } from "./random.ts";

export type Json = Record<string, unknown>;
export type StepDefinitionInput = WorkflowDefinitionInput["steps"][number];

/** What a step's output generator sees. */
export type StepContext = {
  rng: Random;
  input: Json;
  /** The step's config with templates resolved: what the step was called with. */
  config: Json;
  /** The run is heading for failure: upstream services may answer badly. */
  degraded: boolean;
};

/**
 * A failure as the real action reports it: HTTP_<status>, HTTP_NETWORK_ERROR, EMAIL_SEND_FAILED.
 * `detail` is what the service said (an HTTP body, an SMTP reply); the message is built around it.
 */
export type StepError = { code: string; detail?: string };

export type WorkflowProfile = {
  name: string;
  description: string;
  /** Oldest first; each version was saved `daysAgo` days before the seed runs. */
  versions: readonly { daysAgo: number; definition: WorkflowDefinitionInput }[];
  /** Set for an inactive workflow: it stopped running this many days ago. */
  deactivatedDaysAgo?: number;
  /** Relative share of all executions. */
  weight: number;
  triggers: Readonly<Partial<Record<"MANUAL" | "API" | "EVENT" | "SCHEDULE", number>>>;
  /** The event name recorded for EVENT-triggered runs. */
  triggerEvent?: string;
  /** Prefix of idempotency keys sent by API and EVENT callers. */
  idempotencyPrefix?: string;
  /** Scales the chance of FAILED and TIMED_OUT runs: flaky integrations fail more often. */
  failureFactor?: number;
  /** The trigger payload of a run created at `createdAt`. */
  input(rng: Random, createdAt: Date): Json;
  /**
   * Output of a successful step, by step id; steps without one get a default for their type.
   * An http step's is `{ status, body }` (the response headers are added).
   */
  outputs?: Readonly<Record<string, (ctx: StepContext) => unknown>>;
  /** Errors specific to a step, by step id; others fail with an error typical of their type. */
  errors?: Readonly<Record<string, readonly StepError[]>>;
  /** Median duration of one attempt, by step id, overriding the type's default. */
  latencyMs?: Readonly<Record<string, number>>;
};

/** The config of an http step that GETs `url`. */
export const get = (url: string) => ({ method: "GET", url });
