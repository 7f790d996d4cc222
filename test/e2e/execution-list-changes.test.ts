// executionListChanges end to end: the real app, runs executed by its worker, a graphql-ws client
// that keeps a list view (test/support/list-view.ts) and checks it against the executions query.
import { print } from "graphql";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { graphql } from "../generated/gql.ts";
import { wsTransportStats } from "../../src/realtime/ws-transport.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkflow, startRunId, waitForRun } from "../support/engine.ts";
import { idsOf, ListChanges, listedNow, openListView, type ListView, wsClient } from "../support/list-view.ts";

let app: TestApp;
let client: Client;

beforeAll(async () => {
  app = await startTestApp();
  client = wsClient(app);
});
afterAll(async () => {
  await client.dispose();
  await app.stop();
});

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A chain of steps a → b → …: `type` "delay" sleeps `ms` each, "transform" is instant. */
function chain(n: number, type: "delay" | "transform", ms = 0) {
  return {
    steps: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      type,
      config: type === "delay" ? { ms } : { output: i },
      ...(i > 0 ? { dependsOn: [`s${i - 1}`] } : {}),
    })),
  };
}

const DeleteExecution = graphql(`
  mutation ListDeleteExecution($input: DeleteExecutionInput!) {
    deleteExecution(input: $input) { __typename ... on Error { code message } }
  }
`);

const DeleteInBulk = graphql(`
  mutation ListDeleteInBulk($input: StartBulkOperationInput!) {
    startBulkOperation(input: $input) { __typename ... on BulkOperation { id } ... on Error { code message } }
  }
`);

const kindsOf = (view: ListView, id: string) => view.changes.filter((c) => c.execution.id === id).map((c) => c.kind);

/** The view equals the executions query with the same filter (after the last change arrived). */
async function expectConverges(view: ListView, filter: object) {
  let listed: string[] = [];
  await waitFor(
    async () => {
      listed = await listedNow(app, filter);
      return JSON.stringify(idsOf(view)) === JSON.stringify(listed);
    },
    15_000,
    "view equals the executions query",
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}: view ${JSON.stringify(idsOf(view))}, query ${JSON.stringify(listed)}`);
  });
  expect(view.problems).toEqual([]);
  expect(view.errors).toEqual([]);
}

describe("executionListChanges", () => {
  it("reports a run ENTERED, UPDATED and LEFT on a RUNNING list as it starts and finishes", async () => {
    const workflowId = await createWorkflow(app, chain(3, "delay", 300));
    const filter = { workflowId, status: ["RUNNING" as const] };
    const view = await openListView(app, client, filter);
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    await waitFor(() => kindsOf(view, id).includes("LEFT"), 10_000, "LEFT");
    const kinds = kindsOf(view, id);
    expect(kinds[0]).toBe("ENTERED");
    expect(kinds.at(-1)).toBe("LEFT");
    // Each delay's end moved the progress while the run stayed RUNNING.
    expect(kinds.filter((k) => k === "UPDATED").length).toBeGreaterThanOrEqual(1);
    const progress = view.changes.filter((c) => c.execution.id === id && c.kind === "UPDATED").map((c) => c.execution.progress);
    expect(progress.some((p) => p.completedSteps > 0)).toBe(true);
    view.stop();
    await expectConverges(view, filter);
  });

  it("reports a new run ENTERED when it is created, on a list without a status filter", async () => {
    const workflowId = await createWorkflow(app, chain(1, "delay", 200));
    const view = await openListView(app, client, { workflowId });
    const id = await startRunId(app, workflowId);
    await waitForRun(app, id);
    await waitFor(() => view.changes.some((c) => c.execution.id === id && c.execution.status === "COMPLETED"));
    expect(kindsOf(view, id)[0]).toBe("ENTERED");
    expect(kindsOf(view, id)).not.toContain("LEFT");
    view.stop();
    await expectConverges(view, { workflowId });
  });

  it("throttles progress updates to one per 250 ms per run, and delivers the last progress", async () => {
    // 12 instant steps, one commit each, then a sleep: the trailing update must show all 12 done.
    const definition = chain(12, "transform");
    definition.steps.push({ id: "sleep", type: "delay", config: { ms: 1_500 } as never, dependsOn: ["s11"] });
    const workflowId = await createWorkflow(app, definition);
    const view = await openListView(app, client, { workflowId });
    const id = await startRunId(app, workflowId);
    await waitFor(
      () => view.changes.some((c) => c.execution.id === id && c.execution.status === "RUNNING" && c.execution.progress.completedSteps === 12),
      10_000,
      "the trailing progress update",
    );
    const running = await waitForRun(app, id, (run) => run.status === "RUNNING");
    expect(running.status).toBe("RUNNING");
    // 12 commits in well under a second: without the throttle every one would be an UPDATED.
    expect(kindsOf(view, id).filter((k) => k === "UPDATED").length).toBeLessThanOrEqual(8);
    await waitForRun(app, id);
    view.stop();
    await expectConverges(view, { workflowId });
  });

  it("resumes from the last cursor after a disconnect: nothing lost, nothing repeated", async () => {
    const workflowId = await createWorkflow(app, chain(2, "delay", 150));
    const filter = { workflowId, status: ["RUNNING" as const] };
    const view = await openListView(app, client, filter);
    const first = await Promise.all(Array.from({ length: 4 }, () => startRunId(app, workflowId)));
    await waitFor(() => view.changes.length >= 2, 10_000, "some changes");
    // Disconnect: the socket goes away, runs go on (and more start) meanwhile.
    view.stop();
    await client.dispose();
    client = wsClient(app);
    const more = await Promise.all(Array.from({ length: 4 }, () => startRunId(app, workflowId)));
    await Promise.all(first.slice(0, 2).map((id) => waitForRun(app, id)));
    view.resume(client);
    await Promise.all([...first, ...more].map((id) => waitForRun(app, id)));
    await waitFor(() => [...first, ...more].every((id) => kindsOf(view, id).includes("LEFT")), 10_000, "every LEFT");
    for (const id of [...first, ...more]) {
      expect(kindsOf(view, id).filter((k) => k === "ENTERED")).toEqual(["ENTERED"]);
      expect(kindsOf(view, id).filter((k) => k === "LEFT")).toEqual(["LEFT"]);
    }
    view.stop();
    await expectConverges(view, filter);
  });

  it("list + changesCursor, then changes while runs commit concurrently: the view ends equal to the query", async () => {
    const workflowId = await createWorkflow(app, chain(3, "transform"));
    const starting = Array.from({ length: 10 }, () => startRunId(app, workflowId));
    // Lists read while runs are being created and committed: the cursor must leave no gap.
    const views = await Promise.all([
      openListView(app, client, { workflowId }),
      openListView(app, client, { workflowId, status: ["COMPLETED"] }),
      openListView(app, client, { workflowId, status: ["PENDING", "RUNNING"] }),
    ]);
    const ids = [...(await Promise.all(starting)), ...(await Promise.all(Array.from({ length: 10 }, () => startRunId(app, workflowId))))];
    await Promise.all(ids.map((id) => waitForRun(app, id)));
    for (const [n, filter] of [{ workflowId }, { workflowId, status: ["COMPLETED"] }, { workflowId, status: ["PENDING", "RUNNING"] }].entries()) {
      await expectConverges(views[n] as ListView, filter);
    }
    expect(idsOf(views[0] as ListView)).toEqual([...ids].sort());
    for (const view of views) view.stop();
  });

  it("resolves each change once for viewers of one list who subscribed from different cursors", async () => {
    const workflowId = await createWorkflow(app, chain(2, "delay", 100));
    const filter = { workflowId };
    // Each list is read after another run: every viewer comes from a cursor of its own.
    const views: ListView[] = [];
    const cursors = new Set<string>();
    for (let n = 0; n < 6; n += 1) {
      const view = await openListView(app, client, filter);
      views.push(view);
      cursors.add(view.cursor);
      await waitForRun(app, await startRunId(app, workflowId));
    }
    expect(cursors.size).toBe(6);
    for (const view of views) await expectConverges(view, filter);

    const seen = views.map((v) => v.changes.length);
    const serialized = wsTransportStats.payloadSerializations;
    const ids = await Promise.all(Array.from({ length: 3 }, () => startRunId(app, workflowId)));
    await Promise.all(ids.map((id) => waitForRun(app, id)));
    for (const view of views) await expectConverges(view, filter);
    const changes = views.flatMap((v, n) => v.changes.slice(seen[n]));
    const distinct = new Set(changes.map((c) => `${c.kind} ${c.execution.id} ${c.cursor}`));
    // Viewers given the same change (same cursor) got one resolution of it, serialized once.
    expect(wsTransportStats.payloadSerializations - serialized).toBe(distinct.size);
    expect(distinct.size).toBeLessThanOrEqual(changes.length / 3);
    for (const view of views) view.stop();
  });

  it("reports a deleted run LEFT from the lists it was in, also to one that resumes from before it ran", async () => {
    const workflowId = await createWorkflow(app, chain(2, "transform"));
    const filters = [{ workflowId }, { workflowId, status: ["COMPLETED" as const] }, { workflowId, status: ["FAILED" as const] }];
    const views = await Promise.all(filters.map((filter) => openListView(app, client, filter)));
    // Its socket goes away before the runs start; it comes back once they are deleted, and catches
    // up through changes of runs that are gone.
    const late = await openListView(app, client, { workflowId, status: ["COMPLETED"] });
    late.stop();
    const before = late.cursor;
    const ids = await Promise.all(Array.from({ length: 4 }, () => startRunId(app, workflowId)));
    await Promise.all(ids.map((id) => waitForRun(app, id)));
    const listed = views[1] as ListView;
    await waitFor(() => ids.every((id) => kindsOf(listed, id).includes("ENTERED")), 10_000, "every ENTERED");

    // One by deleteExecution, the others by a bulk DELETE (the statement retention uses too).
    const [first] = ids as [string];
    expect((await app.query(DeleteExecution, { input: { id: first } })).deleteExecution.__typename).toBe("DeleteExecutionSuccess");
    await waitFor(() => kindsOf(listed, first).includes("LEFT"), 10_000, "LEFT of the deleted run");
    const bulk = await app.query(DeleteInBulk, { input: { kind: "DELETE", filter: { workflowId } } });
    expect(bulk.startBulkOperation.__typename).toBe("BulkOperation");
    await waitFor(async () => (await listedNow(app, { workflowId })).length === 0, 15_000, "every run deleted");

    late.resume(client);
    for (const [n, view] of views.entries()) await expectConverges(view, filters[n] as object);
    await expectConverges(late, { workflowId, status: ["COMPLETED"] });
    for (const id of ids) {
      for (const view of [views[0], listed, late] as ListView[]) expect(kindsOf(view, id).at(-1)).toBe("LEFT");
      expect(kindsOf(views[2] as ListView, id)).toEqual([]);
    }
    // A deleted run's change shows the run as it was when it went.
    const left = listed.changes.find((c) => c.execution.id === first && c.kind === "LEFT");
    expect(left?.execution.status).toBe("COMPLETED");
    for (const view of [...views, late]) view.stop();

    // Whatever a client selects of a deleted run resolves: what went with it is empty.
    const changes: { kind: string; execution: Record<string, unknown> }[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe<{ executionListChanges: (typeof changes)[number] }>(
      {
        query: `subscription DeletedRuns($filter: ExecutionFilter, $after: String) {
          executionListChanges(filter: $filter, after: $after) {
            kind
            execution {
              id status input context retryOf { id } workflow { id } progress { totalSteps }
              steps(first: 2) { edges { node { id } } } currentSteps { id }
              events(first: 2) { totalCount edges { node { id } } } batches(first: 1) { totalCount } logs(first: 1) { totalCount }
            }
          }
        }`,
        variables: { filter: { workflowId, status: ["COMPLETED"] }, after: before },
      },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          if (result.data) changes.push(result.data.executionListChanges);
        },
        error: (error) => errors.push(error),
        complete: () => {},
      },
    );
    await waitFor(() => changes.filter((c) => c.kind === "LEFT").length === ids.length || errors.length > 0, 10_000, "LEFTs");
    stop();
    expect(errors).toEqual([]);
    expect(changes.map((c) => c.kind)).toEqual(ids.flatMap(() => ["ENTERED", "LEFT"]).sort());
    expect(changes.find((c) => c.kind === "LEFT")?.execution).toMatchObject({
      status: "COMPLETED",
      input: null,
      retryOf: null,
      workflow: { id: workflowId },
      steps: { edges: [] },
      currentSteps: [],
      events: { totalCount: 0, edges: [] },
      batches: { totalCount: 0 },
      logs: { totalCount: 0 },
    });
  });

  it("refuses a bad cursor with BAD_USER_INPUT and an expired one with CURSOR_EXPIRED", async () => {
    const expired = Buffer.from(JSON.stringify({ v: 1, s: "1:1:", t: 0 })).toString("base64url");
    const cases = [
      ["not a cursor", "BAD_USER_INPUT"],
      [Buffer.from(JSON.stringify({ v: 1, s: "9:1:", t: Date.now() })).toString("base64url"), "BAD_USER_INPUT"],
      [Buffer.from(JSON.stringify({ v: 2, s: "1:1:", t: Date.now() })).toString("base64url"), "BAD_USER_INPUT"],
      [expired, "CURSOR_EXPIRED"],
    ] as const;
    for (const [after, code] of cases) {
      const errors: { extensions?: { code?: string } }[] = [];
      await new Promise<void>((resolve) => {
        client.subscribe(
          { query: print(ListChanges), variables: { after } },
          {
            next: (result) => void errors.push(...((result.errors ?? []) as unknown as typeof errors)),
            error: (e) => {
              errors.push(...(Array.isArray(e) ? e : [{ extensions: { code: String(e) } }]));
              resolve();
            },
            complete: resolve,
          },
        );
      });
      expect(errors.map((e) => e.extensions?.code)).toEqual([code]);
    }
  });
});
