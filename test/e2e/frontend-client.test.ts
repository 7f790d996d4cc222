// The frontend client (client/) against the real server, its socket cut and restored by a TCP
// proxy: the list-view helper resubscribes after the last change's cursor (every change while
// the socket was down arrives once, none again), and the execution helper resumes its event
// stream after the last sequence (gapless, no duplicates).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import {
  createStepstreamClient,
  type ExecutionListChange,
  type ExecutionListState,
  type ExecutionPageState,
  type StepstreamClient,
  ViewerQuery,
  watchExecution,
  watchExecutionList,
} from "../../client/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { apiKey } from "../support/auth.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

/** Polls `condition` (the client updates its state in the background) until it holds. */
const waitFor = (condition: () => boolean, { timeoutMs = 15_000 } = {}) =>
  vi.waitFor(
    () => {
      if (!condition()) throw new Error("condition not met yet");
    },
    { timeout: timeoutMs, interval: 25 },
  );

let app: TestApp;
let proxy: TcpProxy;
let client: StepstreamClient;

beforeAll(async () => {
  app = await startTestApp();
  proxy = await startTcpProxy("127.0.0.1", Number(new URL(app.url).port));
  client = createStepstreamClient({ url: `http://127.0.0.1:${proxy.port}/graphql`, webSocketImpl: WebSocket });
});
afterAll(async () => {
  await client?.dispose();
  await proxy?.stop();
  await app?.stop();
});

describe("the frontend client", () => {
  it("tells the viewer's role, per credential", async () => {
    const dev = await client.urql.query(ViewerQuery, {}).toPromise();
    expect(dev.data?.viewer).toEqual({ role: "ADMIN", tenant: "dev", name: "dev", credential: "DEV" });
    const tenant = (await app.app.db.tenant.findFirstOrThrow({ where: { slug: "dev" } })).id;
    const key = await apiKey(app.app.db, tenant, "VIEWER", "read-only");
    const viewerClient = createStepstreamClient({ url: app.url, token: key.secret, webSocketImpl: WebSocket });
    const viewer = await viewerClient.urql.query(ViewerQuery, {}).toPromise();
    await viewerClient.dispose();
    expect(viewer.data?.viewer).toEqual({ role: "VIEWER", tenant: "dev", name: "api-key:read-only", credential: "API_KEY" });
  });

  it("keeps a live list true across a lost socket, resuming after the last change's cursor", { timeout: 60_000 }, async () => {
    const workflowId = await createWorkflow(app, { steps: [{ id: "a", type: "delay", config: { ms: 200 } }] });
    const first = await startRunId(app, workflowId);
    await waitForRun(app, first);
    let state: ExecutionListState | null = null;
    const changes: ExecutionListChange[] = [];
    const watch = watchExecutionList(client, { filter: { workflowId }, first: 50 }, (s) => (state = s), {
      onListChange: (change) => changes.push(change),
    });
    await waitFor(() => state?.status === "live" && state.rows.length === 1);
    const before = await startRunId(app, workflowId);
    await waitFor(() => changes.some((c) => c.execution.id === before && c.execution.status === "COMPLETED"));

    proxy.cut("refuse");
    await waitFor(() => state?.status === "reconnecting");
    // While the socket is down: two runs start and finish.
    const during = [await startRunId(app, workflowId), await startRunId(app, workflowId)];
    for (const id of during) await waitForRun(app, id);
    const seenBeforeRestore = changes.length;
    proxy.restore();

    await waitFor(() => during.every((id) => state?.rows.find((r) => r.id === id)?.status === "COMPLETED"), { timeoutMs: 30_000 });
    watch.stop();
    expect(state!.rows.map((r) => r.id).sort()).toEqual([first, before, ...during].sort());
    expect(state!.totalCount).toBe(4);
    // Resumed after the last cursor: nothing about the runs seen before the cut came again, and
    // each of the runs of the outage entered exactly once.
    const after = changes.slice(seenBeforeRestore);
    expect(after.every((c) => during.includes(c.execution.id))).toBe(true);
    for (const id of during) expect(after.filter((c) => c.execution.id === id && c.kind === "ENTERED")).toHaveLength(1);
    expect(changes.filter((c) => c.execution.id === before && c.kind === "ENTERED")).toHaveLength(1);
  });

  it("resumes an execution's events after the last sequence when the socket comes back", { timeout: 60_000 }, async () => {
    const workflowId = await createWorkflow(app, {
      steps: [
        { id: "a", type: "delay", config: { ms: 800 } },
        { id: "b", type: "delay", dependsOn: ["a"], config: { ms: 2500 } },
        { id: "c", type: "transform", dependsOn: ["b"], config: { output: "done" } },
      ],
    });
    const id = await startRunId(app, workflowId);
    let state: ExecutionPageState | null = null;
    const watch = watchExecution(client, id, (s) => (state = s));
    await waitFor(() => !!state?.events.some((e) => e.type === "STEP_STARTED" && e.step?.key === "b"));
    proxy.cut("refuse");
    await waitFor(() => state?.status === "reconnecting");
    await waitForRun(app, id);
    proxy.restore();
    await waitFor(() => state?.status === "ended" && state.execution?.status === "COMPLETED", { timeoutMs: 30_000 });
    watch.stop();
    const sequences = state!.events.map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    expect(state!.events.at(-1)?.type).toBe("EXECUTION_COMPLETED");
  });
});
