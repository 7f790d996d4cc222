// Shared by the executions e2e tests: the typed documents, and helpers that map a page back to
// the fixture's keys (each fixture run has `input: { id: "e1" }` ...) and derive tie orders.
import { expect } from "vitest";
import { graphql } from "../generated/gql.ts";
import type { ExecutionsQuery, ExecutionsQueryVariables } from "../generated/graphql.ts";
import type { GraphQLResponse, TestApp } from "./app.ts";
import type { Fixture } from "./fixture.ts";

export const Executions = graphql(`
  query Executions(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ExecutionFilter
    $orderBy: ExecutionOrder
  ) {
    executions(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id status input } }
    }
  }
`);

export const WorkflowExecutions = graphql(`
  query WorkflowExecutions(
    $id: ID!
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ExecutionFilter
    $orderBy: ExecutionOrder
  ) {
    workflow(id: $id) {
      name
      executions(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id input workflow { name } } }
      }
    }
  }
`);

export type Connection = ExecutionsQuery["executions"];
export type OrderField = NonNullable<ExecutionsQueryVariables["orderBy"]>["field"];
export type Direction = NonNullable<ExecutionsQueryVariables["orderBy"]>["direction"];

export const gid = (typename: string, uuid: string) => Buffer.from(`${typename}:${uuid}`).toString("base64url");

/** The fixture keys ("e1" ...) of a page's nodes, in order. */
export function keys(connection: { edges: { node: { input?: unknown } }[] }): string[] {
  return connection.edges.map((edge) => (edge.node.input as { id: string }).id);
}

/**
 * Fixture keys sorted by their execution's uuid in `direction`: the order ties take. Postgres
 * compares uuids byte by byte, which for lowercase hex is plain string order.
 */
export function byId(f: Fixture, direction: Direction, ...tied: string[]): string[] {
  const uuid = (key: string) => f.executions[key] as string;
  const sorted = [...tied].sort((a, b) => (uuid(a) < uuid(b) ? -1 : uuid(a) > uuid(b) ? 1 : 0));
  return direction === "ASC" ? sorted : sorted.reverse();
}

/** Asserts that the response failed with one BAD_USER_INPUT error and no data. */
export function expectBadUserInput(result: GraphQLResponse<unknown>, message: RegExp): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(result.errors?.[0]?.message).toMatch(message);
}

/**
 * Walks `orderBy` page by page with `first: size` (forward) or `last: size` from the end
 * (backward); returns the pages' keys in walking order, asserting page info on the way.
 */
async function walk(
  app: TestApp,
  size: number,
  variables: ExecutionsQueryVariables,
  direction: "forward" | "backward",
): Promise<string[][]> {
  const forward = direction === "forward";
  const pages: string[][] = [];
  let cursor: string | null = null;
  for (;;) {
    const window = forward ? { first: size, after: cursor } : { last: size, before: cursor };
    const page: Connection = (await app.query(Executions, { ...variables, ...window })).executions;
    pages.push(keys(page));
    expect(forward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage).toBe(cursor != null);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    if (!(forward ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage)) break;
    expect(page.edges).toHaveLength(size);
    cursor = forward ? page.pageInfo.endCursor : page.pageInfo.startCursor;
    if (pages.length > 20) throw new Error(`${direction} walk does not end`);
  }
  return pages;
}

/** Walks forward with `first: size`; the pages' keys, first page first. */
export const walkForward = (app: TestApp, size: number, variables: ExecutionsQueryVariables = {}) =>
  walk(app, size, variables, "forward");

/** Walks backward from the end with `last: size`; the pages' keys, last page first. */
export const walkBackward = (app: TestApp, size: number, variables: ExecutionsQueryVariables = {}) =>
  walk(app, size, variables, "backward");

/**
 * The full list for each ordering, worked out from the fixture. Every run has a distinct
 * createdAt (days 1..8); startedAt is a minute later except e5 (not started); completedAt is
 * startedAt + durationMs, so finished runs keep the day order and e4 (running) and e5 have none;
 * durations are e2 1000 < e6 2000 < e3 = e8 3000 < e1 5000 < e7 9000, e4 and e5 none. NULLs
 * sort last either way; ties (equal values, or both NULL) go by uuid in the sort direction.
 */
export function expectedOrder(f: Fixture, field: OrderField, direction: Direction): string[] {
  const asc = direction === "ASC";
  const dir = (list: string[]) => (asc ? list : [...list].reverse());
  switch (field) {
    case "CREATED_AT":
      return dir(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    case "STARTED_AT":
      return [...dir(["e1", "e2", "e3", "e4", "e6", "e7", "e8"]), "e5"];
    case "COMPLETED_AT":
      return [...dir(["e1", "e2", "e3", "e6", "e7", "e8"]), ...byId(f, direction, "e4", "e5")];
    case "DURATION": {
      const values = ["e2", "e6", ...byId(f, "ASC", "e3", "e8"), "e1", "e7"];
      return [...dir(values), ...byId(f, direction, "e4", "e5")];
    }
  }
}

export const orderFields: OrderField[] = ["CREATED_AT", "STARTED_AT", "COMPLETED_AT", "DURATION"];
export const directions: Direction[] = ["ASC", "DESC"];
