// Pure generation of the seed's rows: the workflows, and `executions` runs of them spread over the
// last 30 days the way a busy tenant's would be (more in working hours, fewer at weekends), ending
// with a few still running or queued. Only the ids come from outside the seeded Random.
import { randomUUID } from "node:crypto";
import type { ExecutionStatus, Prisma, TriggerSource } from "@prisma/client";
import { parseWorkflowDefinition } from "../engine/definition.ts";
import { planBatches } from "../engine/plan.ts";
import { createRandom, type Random } from "./random.ts";
import { appendExecution, type ExecutionFacts, type SeedRows } from "./rows.ts";
import { type PlannedVersion, simulate } from "./simulate.ts";
import type { Json, WorkflowProfile } from "./workflow-profile.ts";

export type GenerateOptions = { tenantId: string; executions: number; seed: number; now: Date };

type PlannedWorkflow = { id: string; profile: WorkflowProfile; versions: (PlannedVersion & { since: number })[] };
type PendingRetry = {
  due: number;
  of: Prisma.ExecutionCreateManyInput;
  workflow: PlannedWorkflow;
  version: PlannedVersion;
};

const MINUTE = 60_000;
const DAY = 86_400_000;
const HISTORY_DAYS = 30;
const MAX_ATTEMPT = 3;
const CANCEL_REASONS = [
  "Cancelled from the dashboard",
  "Superseded by a newer request",
  "Customer asked to stop",
  "Deploy freeze",
];
const CANCELLED_BY = ["ada@acme.example", "omar@acme.example", "keiko@acme.example", "api-key:ops-cli"];
// Share of traffic by UTC hour: quiet nights, busy working hours.
const HOURLY = [2, 2, 2, 2, 2, 3, 5, 7, 9, 10, 10, 10, 10, 10, 10, 10, 10, 9, 8, 7, 6, 5, 4, 3].map((w) => w / 10);

export function generateRows(profiles: readonly WorkflowProfile[], options: GenerateOptions): SeedRows {
  const rng = createRandom(options.seed);
  const now = options.now.getTime();
  const out: SeedRows = {
    workflows: [],
    workflowVersions: [],
    executions: [],
    batches: [],
    steps: [],
    events: [],
    logs: [],
  };
  const workflows = profiles.map((profile) => planWorkflow(profile, options.tenantId, now, out));

  const live = {
    running: Math.max(2, Math.round(options.executions * 0.003)),
    pending: Math.max(2, Math.round(options.executions * 0.002)),
  };
  const historical = Math.max(0, options.executions - live.running - live.pending);
  const idempotencyKeys = new Set<string>();
  let retries: PendingRetry[] = [];
  // The first free slot after a retry falls due becomes that retry, so the total stays exactly
  // `executions`; retries that fall due after now are still scheduled (nextRetryAt).
  const takeDue = (at: number) => {
    const due = retries.filter((r) => r.due <= at).sort((a, b) => a.due - b.due)[0];
    retries = retries.filter((r) => r !== due);
    return due;
  };
  const scheduleRetry = (row: Prisma.ExecutionCreateManyInput, workflow: PlannedWorkflow, version: PlannedVersion) => {
    if (row.status === "FAILED" && (row.attempt ?? 1) < MAX_ATTEMPT && rng.chance(0.45)) {
      retries.push(retryOf(rng, row, workflow, version));
    }
  };

  for (const createdAt of creationTimes(rng, historical, now)) {
    const due = takeDue(createdAt);
    if (due) {
      const target = rng.weighted<ExecutionStatus>({ COMPLETED: 80, FAILED: 20 });
      const facts = { ...retryFacts(due), tenantId: options.tenantId };
      scheduleRetry(run(rng, out, due.workflow, due.version, facts, target, createdAt), due.workflow, due.version);
      continue;
    }
    const workflow = pickWorkflow(rng, workflows, createdAt, now);
    const version = versionAt(workflow, createdAt);
    const factor = workflow.profile.failureFactor ?? 1;
    const target = rng.weighted<ExecutionStatus>({
      COMPLETED: 100,
      FAILED: 7 * factor,
      CANCELLED: 3.5,
      TIMED_OUT: version.definition.timeoutMs === undefined ? 0 : 2 * factor,
    });
    const facts = primaryFacts(rng, workflow, version, createdAt, options.tenantId, idempotencyKeys);
    scheduleRetry(run(rng, out, workflow, version, facts, target, createdAt), workflow, version);
  }

  // Runs in flight, anchored so that their last event happened just now. Retries that fell due
  // since the history ended are among them.
  const inFlight = [...Array(live.running).fill("RUNNING"), ...Array(live.pending).fill("PENDING")];
  for (const target of inFlight as ExecutionStatus[]) {
    const due = takeDue(now);
    const workflow = due?.workflow ?? pickWorkflow(rng, workflows, now, now);
    const version = due?.version ?? versionAt(workflow, now);
    const facts = due
      ? { ...retryFacts(due), tenantId: options.tenantId }
      : primaryFacts(rng, workflow, version, now, options.tenantId, idempotencyKeys);
    const input = facts.input as Json;
    const queueDelayMs = rng.latency(40, 1);
    const sim = simulate({ rng, profile: workflow.profile, plan: version, input, target, queueDelayMs });
    const last = sim.events.at(-1)?.at ?? 0;
    appendExecution(out, facts, now - last - rng.int(200, target === "PENDING" ? 30_000 : 4000), sim);
  }
  // An automatic retry that falls due after now is still scheduled.
  for (const retry of retries) if (retry.due > now) retry.of.nextRetryAt = new Date(retry.due);
  return out;
}

function planWorkflow(profile: WorkflowProfile, tenantId: string, now: number, out: SeedRows): PlannedWorkflow {
  const id = randomUUID();
  const versions = profile.versions.map(({ daysAgo, definition }, i) => {
    // The seed's definitions go through the same validation as the API's, so they cannot drift from it.
    const parsed = parseWorkflowDefinition(definition);
    if (!parsed.ok)
      throw new Error(`Seed workflow ${profile.name} v${i + 1} is invalid: ${JSON.stringify(parsed.issues)}`);
    const order = new Map(parsed.value.steps.map((step, index) => [step.id, index]));
    const batches = planBatches(parsed.value.steps).map((ids) => ids.map((stepId) => order.get(stepId) as number));
    const since = now - daysAgo * DAY;
    out.workflowVersions.push({
      id: randomUUID(),
      tenantId,
      workflowId: id,
      version: i + 1,
      definition: definition as Prisma.InputJsonValue,
      createdAt: new Date(since),
    });
    return { version: i + 1, definition: parsed.value, batches, since };
  });
  const created = versions[0]?.since ?? now;
  const deactivated = profile.deactivatedDaysAgo === undefined ? undefined : now - profile.deactivatedDaysAgo * DAY;
  out.workflows.push({
    id,
    tenantId,
    name: profile.name,
    description: profile.description,
    isActive: deactivated === undefined,
    version: versions.length,
    createdAt: new Date(created),
    updatedAt: new Date(Math.max(versions.at(-1)?.since ?? created, deactivated ?? 0)),
  });
  return { id, profile, versions };
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
    const weight =
      (HOURLY[d.getUTCHours()] ?? 1) * (weekend ? 0.55 : 1) * (0.75 + (0.25 * (t - start)) / (end - start));
    if (rng.next() < weight) times.push(Math.round(t));
  }
  return times.sort((a, b) => a - b);
}

function pickWorkflow(rng: Random, workflows: PlannedWorkflow[], at: number, now: number): PlannedWorkflow {
  const available = workflows.filter(({ profile, versions }) => {
    const retired = profile.deactivatedDaysAgo !== undefined && at >= now - profile.deactivatedDaysAgo * DAY;
    return !retired && (versions[0]?.since ?? 0) <= at;
  });
  const index = rng.weighted(Object.fromEntries(available.map((w, i) => [String(i), w.profile.weight])));
  return available[Number(index)] as PlannedWorkflow;
}

function versionAt(workflow: PlannedWorkflow, at: number): PlannedVersion {
  return workflow.versions.findLast((v) => v.since <= at) ?? (workflow.versions[0] as PlannedVersion);
}

function primaryFacts(
  rng: Random,
  workflow: PlannedWorkflow,
  version: PlannedVersion,
  createdAt: number,
  tenantId: string,
  keys: Set<string>,
): ExecutionFacts {
  const { profile } = workflow;
  const triggerSource = rng.weighted(profile.triggers) as TriggerSource;
  let idempotencyKey: string | undefined;
  const keyChance = triggerSource === "API" ? 0.7 : triggerSource === "EVENT" ? 0.5 : 0;
  if (profile.idempotencyPrefix && rng.chance(keyChance)) {
    idempotencyKey = `${profile.idempotencyPrefix}-${rng.hex(16)}`;
    if (keys.has(idempotencyKey)) idempotencyKey = undefined;
    else keys.add(idempotencyKey);
  }
  return {
    tenantId,
    workflowId: workflow.id,
    workflowVersion: version.version,
    triggerSource,
    triggerEvent: triggerSource === "EVENT" ? profile.triggerEvent : undefined,
    input: profile.input(rng, new Date(createdAt)) as Prisma.InputJsonValue,
    attempt: 1,
    idempotencyKey,
  };
}

function retryFacts({ of }: PendingRetry): Omit<ExecutionFacts, "tenantId"> {
  return {
    workflowId: of.workflowId,
    workflowVersion: of.workflowVersion,
    triggerSource: "RETRY",
    input: of.input as Prisma.InputJsonValue,
    attempt: (of.attempt ?? 1) + 1,
    retryOfId: of.id as string,
  };
}

function retryOf(
  rng: Random,
  of: Prisma.ExecutionCreateManyInput,
  workflow: PlannedWorkflow,
  version: PlannedVersion,
): PendingRetry {
  const failedAt = (of.completedAt as Date).getTime();
  return { of, workflow, version, due: failedAt + rng.latency(12 * MINUTE, 1) };
}

function run(
  rng: Random,
  out: SeedRows,
  workflow: PlannedWorkflow,
  version: PlannedVersion,
  facts: ExecutionFacts,
  target: ExecutionStatus,
  createdAt: number,
): Prisma.ExecutionCreateManyInput {
  // Usually picked up within tens of ms; now and then the queue is backed up for seconds.
  const queueDelayMs = rng.chance(0.03) ? rng.latency(8000, 0.8) : rng.latency(40, 1);
  const cancelReason = rng.pick(CANCEL_REASONS);
  const cancelledBy = rng.pick(CANCELLED_BY);
  const sim = simulate({
    rng,
    profile: workflow.profile,
    plan: version,
    input: facts.input as Json,
    target,
    queueDelayMs,
    cancelReason,
  });
  const withCancel = sim.status === "CANCELLED" ? { ...facts, cancelReason, cancelledBy } : facts;
  return appendExecution(out, withCancel, createdAt, sim);
}
