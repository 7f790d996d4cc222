// A live list view as a client keeps it: the executions query with its changesCursor, then
// executionListChanges applied to it. Applying is strict — an ENTERED for a run already listed,
// or an UPDATED/LEFT for one that is not, is a lost or repeated change — so tests catch both.
import { print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { graphql } from "../generated/gql.ts";
import type { ExecutionFilter, ListChangesSubscription } from "../generated/graphql.ts";
import type { Requester, TestApp } from "./app.ts";

export const ListWithCursor = graphql(`
  query ListWithCursor($filter: ExecutionFilter) {
    executions(first: 100, filter: $filter) {
      changesCursor
      edges { node { id status } }
    }
  }
`);

export const ListChanges = graphql(`
  subscription ListChanges($filter: ExecutionFilter, $after: String) {
    executionListChanges(filter: $filter, after: $after) {
      kind
      cursor
      execution { id status progress { completedSteps totalSteps } }
    }
  }
`);

export type ListChange = ListChangesSubscription["executionListChanges"];
type GraphQLError = { message: string; extensions?: { code?: string } };

export type ListView = {
  /** Listed runs by ID, with the status last seen. */
  rows: Map<string, string>;
  changes: ListChange[];
  /** Strictness violations (lost or repeated changes) and subscription errors. */
  problems: string[];
  errors: GraphQLError[];
  ended: boolean;
  /** The cursor of the last change applied (or the list's, before the first). */
  cursor: string;
  /** Subscribes again from `cursor` (after stop()): what a client does after a disconnect. */
  resume(client?: Client): void;
  stop(): void;
};

export const wsClient = (app: { url: string }): Client =>
  createClient({ url: app.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });

/** Applies one change to `rows`; returns the problem, or null. */
export function applyChange(rows: Map<string, string>, change: ListChange): string | null {
  const { id, status } = change.execution;
  const listed = rows.has(id);
  if (change.kind === "ENTERED") {
    rows.set(id, status);
    return listed ? `ENTERED twice: ${id}` : null;
  }
  if (!listed) return `${change.kind} of a run not listed: ${id}`;
  if (change.kind === "LEFT") rows.delete(id);
  else rows.set(id, status);
  return null;
}

/** Reads the list with its changesCursor and keeps it current over `client`. */
export async function openListView(
  app: TestApp | Requester,
  client: Client,
  filter: ExecutionFilter = {},
  after?: string,
): Promise<ListView> {
  const list = (await app.query(ListWithCursor, { filter })).executions;
  const view: ListView = {
    rows: new Map(after ? [] : list.edges.map((e) => [e.node.id, e.node.status])),
    changes: [],
    problems: [],
    errors: [],
    ended: false,
    cursor: after ?? list.changesCursor,
    resume: (c = client) => subscribe(c),
    stop: () => {},
  };
  const subscribe = (c: Client) => {
    view.ended = false;
    view.stop = c.subscribe<{ executionListChanges: ListChange }>(
      { query: print(ListChanges), variables: { filter, after: view.cursor } },
      {
        next: (result) => {
          if (result.errors) view.errors.push(...(result.errors as GraphQLError[]));
          const change = result.data?.executionListChanges;
          if (!change) return;
          view.changes.push(change);
          const problem = applyChange(view.rows, change);
          if (problem) view.problems.push(problem);
          view.cursor = change.cursor;
        },
        error: (error) => {
          view.errors.push(...(Array.isArray(error) ? error : [{ message: String(error) }]));
          view.ended = true;
        },
        complete: () => {
          view.ended = true;
        },
      },
    );
  };
  subscribe(client);
  return view;
}

/** The IDs the executions query lists now, sorted. */
export async function listedNow(app: TestApp | Requester, filter: ExecutionFilter = {}): Promise<string[]> {
  const list = (await app.query(ListWithCursor, { filter })).executions;
  return list.edges.map((e) => e.node.id).sort();
}

export const idsOf = (view: ListView) => [...view.rows.keys()].sort();
