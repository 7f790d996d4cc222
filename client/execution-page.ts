// One execution, live: its page (batches, steps, input/output) read once and again whenever its
// events say it changed, and its event stream from `executionEvents(afterSequence)`. After a lost
// socket the stream is subscribed again after the last sequence seen: events are gapless and
// numbered, so none is missed or shown twice. The stream completes after the terminal event.
import type { CombinedError } from "@urql/core";
import { ExecutionEventsSubscription, ExecutionPageQuery } from "./documents.ts";
import type { ExecutionEventsSubscription as EventsResult, ExecutionPageQuery as PageResult } from "./generated/graphql.ts";
import type { StepstreamClient } from "./create-client.ts";
import type { LiveStatus } from "./list-view.ts";

export type ExecutionDetail = NonNullable<PageResult["execution"]>;
export type ExecutionEventItem = EventsResult["executionEvents"];

export type ExecutionPageState = {
  /** null while loading, or when the execution does not exist (status "error", notFound). */
  execution: ExecutionDetail | null;
  notFound: boolean;
  events: ExecutionEventItem[];
  lastSequence: number;
  /** "live" while events may come; "ended" after the terminal event. */
  status: LiveStatus | "ended";
  error: string | null;
};

export type ExecutionPageWatch = {
  readonly state: ExecutionPageState;
  /** Reads the page again now (e.g. after a mutation). */
  refresh(): Promise<void>;
  stop(): void;
};

const TERMINAL = new Set(["EXECUTION_COMPLETED", "EXECUTION_FAILED", "EXECUTION_CANCELLED", "EXECUTION_TIMED_OUT"]);
const messageOf = (error: CombinedError) =>
  error.graphQLErrors.length > 0 ? error.graphQLErrors.map((e) => e.message).join("; ") : error.message;

export function watchExecution(
  client: StepstreamClient,
  id: string,
  onChange: (state: ExecutionPageState) => void,
  { refreshDelayMs = 150 }: { refreshDelayMs?: number } = {},
): ExecutionPageWatch {
  const state: ExecutionPageState = { execution: null, notFound: false, events: [], lastSequence: 0, status: "loading", error: null };
  let stopped = false;
  let subscription: { unsubscribe(): void } | null = null;
  let reading: Promise<void> | null = null;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const emit = () => {
    if (!stopped) onChange(state);
  };

  // One read at a time; events arriving meanwhile ask for one more read after it.
  async function refresh(): Promise<void> {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        const result = await client.urql.query(ExecutionPageQuery, { id }).toPromise();
        if (stopped) return;
        if (result.error) state.error = messageOf(result.error);
        else if (!result.data?.execution) {
          state.notFound = true;
          state.status = "error";
          state.error = "Execution not found";
        } else {
          state.execution = result.data.execution;
          state.error = null;
        }
        emit();
      } while (again && !stopped);
    })().finally(() => {
      reading = null;
    });
    return reading;
  }

  const soon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, refreshDelayMs);
  };

  const unsubscribe = () => {
    subscription?.unsubscribe();
    subscription = null;
  };

  function subscribe() {
    unsubscribe();
    if (stopped || state.status === "ended") return;
    const source = client.urql.subscription(ExecutionEventsSubscription, { executionId: id, afterSequence: state.lastSequence });
    subscription = source.subscribe((result) => {
      if (result.error) {
        state.status = "error";
        state.error = messageOf(result.error);
        return emit();
      }
      const event = result.data?.executionEvents;
      if (!event || event.sequence <= state.lastSequence) return;
      state.events.push(event);
      state.lastSequence = event.sequence;
      if (TERMINAL.has(event.type)) {
        state.status = "ended";
        unsubscribe();
      } else state.status = "live";
      soon();
      emit();
    });
    if (state.status !== "error") state.status = "live";
  }

  const offLost = client.onDisconnected(() => {
    if (!subscription) return;
    unsubscribe();
    state.status = "reconnecting";
    emit();
  });
  const offBack = client.onReconnected(() => {
    if (state.status !== "reconnecting") return;
    subscribe();
    void refresh();
  });

  void refresh().then(() => {
    if (!state.notFound) subscribe();
    emit();
  });
  return {
    state,
    refresh,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      offLost();
      offBack();
      unsubscribe();
    },
  };
}
