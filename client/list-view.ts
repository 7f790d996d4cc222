// A live execution list: read one page with its changesCursor, subscribe to executionListChanges
// with the same filter after that cursor, apply ENTERED / UPDATED / LEFT, and after a lost socket
// subscribe again after the last change's cursor, so no change is lost or applied twice (README
// "Live list views"). A cursor too old to resume (CURSOR_EXPIRED) reads the page again.
import type { CombinedError } from "@urql/core";
import { ExecutionListChangesSubscription, ExecutionListQuery } from "./documents.ts";
import type {
  ExecutionFilter,
  ExecutionListChangesSubscription as ListChangesResult,
  ExecutionOrder,
  ExecutionRowFragment,
} from "./generated/graphql.ts";
import type { StepstreamClient } from "./create-client.ts";

export type ExecutionListChange = ListChangesResult["executionListChanges"];

export type ExecutionListPage = {
  filter?: ExecutionFilter;
  orderBy?: ExecutionOrder;
  first?: number;
  after?: string | null;
  last?: number;
  before?: string | null;
};

export type LiveStatus = "loading" | "live" | "reconnecting" | "error";

export type ExecutionListState = {
  rows: ExecutionRowFragment[];
  /** The filter's count, moved by ENTERED and LEFT. */
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
  status: LiveStatus;
  error: string | null;
  /** The cursor to resume after: the page's changesCursor, then each applied change's. */
  cursor: string | null;
};

export type ExecutionListWatch = {
  readonly state: ExecutionListState;
  /** Reads the page again (and resubscribes from its cursor). */
  reload(): Promise<void>;
  stop(): void;
};

const messageOf = (error: CombinedError | Error) =>
  "graphQLErrors" in error && error.graphQLErrors.length > 0 ? error.graphQLErrors.map((e) => e.message).join("; ") : error.message;
const codeOf = (error: CombinedError) => error.graphQLErrors.map((e) => e.extensions?.["code"]).find(Boolean);

/** Where an entering run belongs in a page sorted as `orderBy` (default: newest first). */
function insertionIndex(rows: ExecutionRowFragment[], row: ExecutionRowFragment, orderBy?: ExecutionOrder): number {
  const field = orderBy?.field ?? "CREATED_AT";
  const desc = (orderBy?.direction ?? "DESC") === "DESC";
  const valueOf = (r: ExecutionRowFragment): number | null => {
    const raw = field === "CREATED_AT" ? r.createdAt : field === "STARTED_AT" ? r.startedAt : field === "COMPLETED_AT" ? r.completedAt : r.durationMs;
    if (raw === null || raw === undefined) return null;
    return typeof raw === "number" ? raw : Date.parse(raw);
  };
  const value = valueOf(row);
  if (value === null) return rows.length; // runs without the value sort last
  const index = rows.findIndex((r) => {
    const other = valueOf(r);
    return other === null || (desc ? other < value : other > value);
  });
  return index === -1 ? rows.length : index;
}

/**
 * Applies one change to the page. A run that enters is shown when it belongs on this page (the
 * first page, or between its first and last rows); otherwise only the count moves.
 */
export function applyListChange(state: ExecutionListState, change: ExecutionListChange, page: ExecutionListPage): void {
  const at = state.rows.findIndex((r) => r.id === change.execution.id);
  if (change.kind === "LEFT") {
    if (at !== -1) state.rows.splice(at, 1);
    state.totalCount = Math.max(0, state.totalCount - 1);
  } else if (at !== -1) {
    state.rows.splice(at, 1, change.execution);
  } else if (change.kind === "ENTERED") {
    state.totalCount += 1;
    const index = insertionIndex(state.rows, change.execution, page.orderBy);
    const firstPage = !page.after && !page.before;
    if (firstPage || (index > 0 && index < state.rows.length)) state.rows.splice(index, 0, change.execution);
  }
  state.cursor = change.cursor;
}

/**
 * Watches one page of executions; `onChange` is called with the (mutated) state after every change,
 * `onListChange` with each change applied (for an activity feed, or a test).
 */
export function watchExecutionList(
  client: StepstreamClient,
  page: ExecutionListPage,
  onChange: (state: ExecutionListState) => void,
  options: { onListChange?: (change: ExecutionListChange) => void } = {},
): ExecutionListWatch {
  const state: ExecutionListState = {
    rows: [],
    totalCount: 0,
    pageInfo: { hasNextPage: false, hasPreviousPage: false },
    status: "loading",
    error: null,
    cursor: null,
  };
  let subscription: { unsubscribe(): void } | null = null;
  let stopped = false;
  let generation = 0;
  const emit = () => {
    if (!stopped) onChange(state);
  };

  const unsubscribe = () => {
    subscription?.unsubscribe();
    subscription = null;
  };

  const subscribe = () => {
    unsubscribe();
    if (stopped || state.cursor === null) return;
    const source = client.urql.subscription(ExecutionListChangesSubscription, { filter: page.filter, after: state.cursor });
    subscription = source.subscribe((result) => {
      if (result.error) {
        unsubscribe();
        if (codeOf(result.error) === "CURSOR_EXPIRED") return void reload();
        state.status = "error";
        state.error = messageOf(result.error);
        return emit();
      }
      const change = result.data?.executionListChanges;
      if (!change) return;
      applyListChange(state, change, page);
      options.onListChange?.(change);
      state.status = "live";
      emit();
    });
    state.status = "live";
  };

  async function reload(): Promise<void> {
    const mine = ++generation;
    unsubscribe();
    state.status = "loading";
    state.error = null;
    emit();
    const { first = page.last ? undefined : 20, after, last, before, filter, orderBy } = page;
    const result = await client.urql.query(ExecutionListQuery, { filter, orderBy, first, after, last, before }).toPromise();
    if (stopped || mine !== generation) return;
    const list = result.data?.executions;
    if (!list) {
      state.status = "error";
      state.error = result.error ? messageOf(result.error) : "No data";
      return emit();
    }
    state.rows = list.edges.map((e) => e.node);
    state.totalCount = list.totalCount;
    state.pageInfo = list.pageInfo;
    state.cursor = list.changesCursor;
    subscribe();
    emit();
  }

  const offLost = client.onDisconnected(() => {
    if (!subscription) return;
    // Dropped now, so graphql-ws does not repeat it with its first cursor on reconnect.
    unsubscribe();
    state.status = "reconnecting";
    emit();
  });
  const offBack = client.onReconnected(() => {
    if (state.status === "reconnecting") {
      subscribe();
      emit();
    }
  });
  void reload();
  return {
    state,
    reload,
    stop() {
      stopped = true;
      offLost();
      offBack();
      unsubscribe();
    },
  };
}
