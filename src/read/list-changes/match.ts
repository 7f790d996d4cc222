// The executions filter evaluated in JavaScript on a change row, meaning exactly what
// executionWhere (schema/execution/filter.ts) asks of the database: the list subscription must
// agree with the executions query it keeps current. A test compares the two on real rows.

/** The filter with its IDs decoded (uuids) and its search trimmed; every field optional. */
export type ListFilter = {
  workflowId?: string;
  status?: readonly string[];
  triggerSource?: readonly string[];
  createdAfter?: Date;
  createdBefore?: Date;
  /** Case-insensitive substring of the workflow name, the trigger event or the error message. */
  search?: string;
  /** The stored id of the actor who started the run, exactly. */
  startedBy?: string;
  externalId?: string;
};

/** What a filter can look at: the fixed facts of a run, and the two that change. */
export type RunFacts = {
  workflowId: string;
  workflowName: string;
  triggerSource: string;
  triggerEvent: string | null;
  startedById: string;
  externalId: string | null;
  createdAt: Date;
  status: string;
  errorMessage: string | null;
};

// Prisma's `mode: "insensitive"` is ILIKE, which folds case with the database's lower(); for the
// text a run carries (ASCII names, events, messages) toLowerCase is the same fold.
const contains = (value: string | null, needle: string) => value !== null && value.toLowerCase().includes(needle);

export function createMatcher(filter: ListFilter): (run: RunFacts) => boolean {
  const needle = filter.search?.trim().toLowerCase() || undefined;
  const statuses = filter.status ? new Set(filter.status) : undefined;
  const sources = filter.triggerSource ? new Set(filter.triggerSource) : undefined;
  const after = filter.createdAfter?.getTime();
  const before = filter.createdBefore?.getTime();
  return (run) =>
    (filter.workflowId === undefined || run.workflowId === filter.workflowId) &&
    (statuses === undefined || statuses.has(run.status)) &&
    (sources === undefined || sources.has(run.triggerSource)) &&
    (filter.startedBy === undefined || run.startedById === filter.startedBy) &&
    (filter.externalId === undefined || run.externalId === filter.externalId) &&
    (after === undefined || run.createdAt.getTime() >= after) &&
    (before === undefined || run.createdAt.getTime() < before) &&
    (needle === undefined ||
      contains(run.workflowName, needle) ||
      contains(run.triggerEvent, needle) ||
      contains(run.errorMessage, needle));
}
