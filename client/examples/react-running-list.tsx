// The README's React example (type-checked by `npm run typecheck`): a live "running" list and a
// live execution, each a hook over the client's helpers.
import { useEffect, useState } from "react";
import {
  createStepstreamClient,
  type ExecutionListPage,
  type ExecutionListState,
  type ExecutionPageState,
  type StepstreamClient,
  watchExecution,
  watchExecutionList,
} from "../index.ts";

export function useExecutionList(client: StepstreamClient, page: ExecutionListPage): ExecutionListState | null {
  const [state, setState] = useState<ExecutionListState | null>(null);
  const key = JSON.stringify(page);
  useEffect(() => {
    // The helper mutates one state object; a copy makes React see each change.
    const watch = watchExecutionList(client, page, (s) => setState({ ...s, rows: [...s.rows] }));
    return () => watch.stop();
  }, [client, key]);
  return state;
}

export function useExecution(client: StepstreamClient, id: string): ExecutionPageState | null {
  const [state, setState] = useState<ExecutionPageState | null>(null);
  useEffect(() => {
    const watch = watchExecution(client, id, (s) => setState({ ...s, events: [...s.events] }));
    return () => watch.stop();
  }, [client, id]);
  return state;
}

const client = createStepstreamClient({ url: "http://localhost:4000/graphql", token: "ssk_…" });

export function RunningList() {
  const list = useExecutionList(client, { filter: { status: ["RUNNING"] }, first: 50 });
  if (!list || list.status === "loading") return <p>Loading…</p>;
  if (list.status === "error") return <p role="alert">{list.error}</p>;
  return (
    <ul>
      {list.rows.map((run) => (
        <li key={run.id}>
          {run.workflow.name}: {run.status} ({Math.round(run.progress.percent)}%)
        </li>
      ))}
    </ul>
  );
}

export function ExecutionEvents({ id }: { id: string }) {
  const page = useExecution(client, id);
  return (
    <ol>
      {page?.events.map((event) => (
        <li key={event.id}>
          #{event.sequence} {event.type} {event.step?.key}
        </li>
      ))}
    </ol>
  );
}
