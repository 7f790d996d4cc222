// What the seed will run, decided up front from the seeded Random alone: the workflows and their
// versions, and `executions` runs of them spread over the last 30 days the way a busy tenant's
// would be (more in working hours, fewer at weekends), each with the outcome it heads for. How a
// run gets there, and every row it leaves, is the engine's business (play.ts). The last few runs
// are left to the worker: queued, or asleep in a delay that ends in the next minutes.
import type { TriggerSource } from "../engine/events.ts";
import { IN_PROCESS_LIMIT_MS } from "../engine/actions/delay.ts";
import { parseWorkflowDefinition, type WorkflowDefinition } from "../engine/definition.ts";
import { createRandom, type Random } from "./random.ts";
import { hangCandidates, type Target } from "./script.ts";
import type { Json, WorkflowProfile } from "./workflow-profile.ts";

export type PlannedVersion = { version: number; definition: WorkflowDefinition; raw: unknown; since: number };
export type PlannedWorkflow = {
  profile: WorkflowProfile;
  versions: PlannedVersion[];
  createdAt: number;
  updatedAt: number;
  isActive: boolean;
};

export type PlannedRun = {
  workflow: PlannedWorkflow & { id: string };
  version: PlannedVersion;
  createdAt: number;
  /** From creation to the first pick-up by a worker. */
  queueDelayMs: number;
  triggerSource: TriggerSource;
  triggerEvent: string | null;
  input: Json;
  idempotencyKey: string | null;
  target: Target;
  /** CANCELLED only: by whom and why; `queuedForMs` when it is cancelled before a worker took it. */
  cancel?: { reason: string; by: string; queuedForMs?: number };
  /** The run's own random stream: what happens in it does not depend on the other runs. */
  rng: Random;
};

export type SeedPlan = {
  /** In creation order. */
  history: PlannedRun[];
  /** Left asleep in a long delay, and left queued, for the worker. */
  running: PlannedRun[];
  pending: PlannedRun[];
  /** When the last run of the history was created; retries due later are planned to succeed. */
  historyEnd: number;
};

const MINUTE = 60_000;
const DAY = 86_400_000;
const HISTORY_DAYS = 30;
const CANCEL_REASONS = [
  "Cancelled from the dashboard",
  "Superseded by a newer request",
  "Customer asked to stop",
  "Deploy freeze",
];
const CANCELLED_BY = ["ada@acme.example", "omar@acme.example", "keiko@acme.example", "api-key:ops-cli"];
// Share of traffic by UTC hour: quiet nights, busy working hours.
const HOURLY = [2, 2, 2, 2, 2, 3, 5, 7, 9, 10, 10, 10, 10, 10, 10, 10, 10, 9, 8, 7, 6, 5, 4, 3].map((w) => w / 10);

export function planWorkflows(profiles: readonly WorkflowProfile[], now: number): PlannedWorkflow[] {
  return profiles.map((profile) => {
    const versions = profile.versions.map(({ daysAgo, definition }, i) => {
      // The seed's definitions go through the same validation as the API's, so they cannot drift from it.
      const parsed = parseWorkflowDefinition(definition);
      if (!parsed.ok) {
        throw new Error(`Seed workflow ${profile.name} v${i + 1} is invalid: ${JSON.stringify(parsed.issues)}`);
      }
      return { version: i + 1, definition: parsed.value, raw: definition, since: now - daysAgo * DAY };
    });
    const createdAt = versions[0]?.since ?? now;
    const deactivated = profile.deactivatedDaysAgo === undefined ? undefined : now - profile.deactivatedDaysAgo * DAY;
    const updatedAt = Math.max(versions.at(-1)?.since ?? createdAt, deactivated ?? 0);
    return { profile, versions, createdAt, updatedAt, isActive: deactivated === undefined };
  });
}

export function planRuns(
  workflows: readonly (PlannedWorkflow & { id: string })[],
  options: { executions: number; seed: number; now: number },
): SeedPlan {
  const rng = createRandom(options.seed);
  const { now } = options;
  const live = {
    running: Math.max(2, Math.round(options.executions * 0.003)),
    pending: Math.max(2, Math.round(options.executions * 0.002)),
  };
  const keys = new Set<string>();
  const run = (workflow: PlannedWorkflow & { id: string }, createdAt: number, target: Target): PlannedRun => {
    const own = createRandom(rng.int(0, 2 ** 31 - 1));
    const version = versionAt(workflow, createdAt);
    return { workflow, version, createdAt, target, rng: own, ...facts(own, workflow.profile, createdAt, keys) };
  };

  const count = Math.max(0, options.executions - live.running - live.pending);
  const history = creationTimes(rng, count, now).map((createdAt) => {
    const workflow = pickWorkflow(rng, workflows, createdAt, now);
    const version = versionAt(workflow, createdAt);
    const factor = workflow.profile.failureFactor ?? 1;
    const target = rng.weighted<Target>({
      COMPLETED: 100,
      FAILED: 7 * factor,
      CANCELLED: 3.5,
      TIMED_OUT: hangCandidates(version.definition).length > 0 ? 2 * factor : 0,
    });
    const planned = run(workflow, createdAt, target);
    if (target === "CANCELLED") {
      planned.cancel = { reason: rng.pick(CANCEL_REASONS), by: rng.pick(CANCELLED_BY) };
      // Some are cancelled while still queued, before any worker started them.
      if (rng.chance(0.15)) planned.cancel.queuedForMs = rng.int(500, 90_000);
    }
    return planned;
  });

  // Runs left for the worker can only be of a workflow that needs nothing outside this machine,
  // with a delay long enough to be found asleep in it.
  const local = workflows.find((w) => {
    const steps = w.versions.at(-1)?.definition.steps ?? [];
    const sleeps = steps.some((s) => s.type === "delay" && Number(s.config["ms"]) > IN_PROCESS_LIMIT_MS);
    return w.isActive && sleeps && steps.every((s) => s.type !== "http");
  });
  if (!local) throw new Error("the seed needs a workflow without http steps and with a long delay to leave runs open");
  // Asleep: created up to 9 minutes ago, so the delay ends 1–10 minutes from now.
  const running = Array.from({ length: live.running }, () =>
    run(local, now - rng.int(30_000, 9 * MINUTE), "RUNNING"),
  );
  const pending = Array.from({ length: live.pending }, () => run(local, now - rng.int(200, 30_000), "PENDING"));
  for (const planned of [...running, ...pending]) planned.queueDelayMs = Math.min(planned.queueDelayMs, 2_000);
  return { history, running, pending, historyEnd: history.at(-1)?.createdAt ?? now };
}

/** The automatic retry of `of`, created when it falls due; `succeeds` when the seed needs it to. */
export function planRetry(of: PlannedRun, due: number, succeeds: boolean): PlannedRun {
  const rng = createRandom(of.rng.int(0, 2 ** 31 - 1));
  const target = succeeds ? "COMPLETED" : rng.weighted<Target>({ COMPLETED: 80, FAILED: 20 });
  // The retry's job runs when due, give or take the worker's polling.
  const { cancel: _cancel, ...rest } = of;
  return {
    ...rest,
    createdAt: due + rng.latency(250, 0.6),
    queueDelayMs: rng.latency(40, 1),
    target,
    rng,
    triggerSource: "RETRY",
    idempotencyKey: null,
  };
}

/** The version a run created at `at` ran: the newest saved by then. */
function versionAt(workflow: PlannedWorkflow, at: number): PlannedVersion {
  return workflow.versions.findLast((v) => v.since <= at) ?? (workflow.versions[0] as PlannedVersion);
}

function facts(rng: Random, profile: WorkflowProfile, createdAt: number, keys: Set<string>) {
  const triggerSource = rng.weighted(profile.triggers) as TriggerSource;
  let idempotencyKey: string | null = null;
  const keyChance = triggerSource === "API" ? 0.7 : triggerSource === "EVENT" ? 0.5 : 0;
  if (profile.idempotencyPrefix && rng.chance(keyChance)) {
    const key = `${profile.idempotencyPrefix}-${rng.hex(16)}`;
    if (!keys.has(key)) idempotencyKey = key;
    keys.add(key);
  }
  return {
    triggerSource,
    triggerEvent: triggerSource === "EVENT" ? (profile.triggerEvent ?? null) : null,
    input: profile.input(rng, new Date(createdAt)),
    idempotencyKey,
    // Usually picked up within tens of ms; now and then the queue is backed up for seconds.
    queueDelayMs: rng.chance(0.03) ? rng.latency(8000, 0.8) : rng.latency(40, 1),
  };
}

/** Sorted creation times, denser in working hours and on weekdays, and growing over the month. */
function creationTimes(rng: Random, count: number, now: number): number[] {
  const start = now - HISTORY_DAYS * DAY;
  const end = now - 20 * MINUTE;
  const times: number[] = [];
  while (times.length < count) {
    const t = start + rng.next() * (end - start);
    const d = new Date(t);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const growth = 0.75 + (0.25 * (t - start)) / (end - start);
    const weight = (HOURLY[d.getUTCHours()] ?? 1) * (weekend ? 0.55 : 1) * growth;
    if (rng.next() < weight) times.push(Math.round(t));
  }
  return times.sort((a, b) => a - b);
}

function pickWorkflow<W extends PlannedWorkflow>(rng: Random, workflows: readonly W[], at: number, now: number): W {
  const available = workflows.filter(({ profile, versions }) => {
    const retired = profile.deactivatedDaysAgo !== undefined && at >= now - profile.deactivatedDaysAgo * DAY;
    return !retired && (versions[0]?.since ?? 0) <= at;
  });
  const index = rng.weighted(Object.fromEntries(available.map((w, i) => [String(i), w.profile.weight])));
  return available[Number(index)] as W;
}
