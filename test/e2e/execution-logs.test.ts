// Log entries of a run (Execution.logs) and of a step (Step.logs): order, filters (level, stepId,
// search), pagination and totalCount, on the fixture's e1: fetch wrote 2 entries (INFO, DEBUG),
// transform 1 (WARN), notify none, and the run itself 1 (INFO).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../src/schema/global-id.ts";
import { graphql } from "../generated/gql.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;
beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const exec = (key: string) => encodeGlobalId("Execution", f.executions[key] as string);
const stepId = (key: string) => encodeGlobalId("Step", f.e1.steps[key] as string);

const Logs = graphql(`
  query DetailTestLogs($id: ID!, $filter: LogFilter, $first: Int, $after: String) {
    execution(id: $id) {
      logs(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id level message step { key } execution { id } } }
      }
    }
  }
`);

const StepLogs = graphql(`
  query DetailTestStepLogs($id: ID!, $filter: LogFilter) {
    node(id: $id) {
      ... on Step { key logs(filter: $filter) { totalCount edges { node { message } } } }
    }
  }
`);

describe("logs", () => {
  const messages = (r: { execution?: { logs: { edges: { node: { message: string } }[] } } | null }) =>
    r.execution?.logs.edges.map((e) => e.node.message);

  it("lists e1's log entries oldest first, with their step (none for run-level entries)", async () => {
    const { execution } = await app.query(Logs, { id: exec("e1") });
    expect(execution?.logs.totalCount).toBe(4);
    expect(execution?.logs.edges.map((e) => e.node)).toEqual(
      [
        ["INFO", "Requesting https://example.test/e1", { key: "fetch" }],
        ["DEBUG", "Response 200 in 812 ms", { key: "fetch" }],
        ["WARN", "Slow transform: 3 s", { key: "transform" }],
        ["INFO", "Run finished", null],
      ].map(([level, message, step], i) => ({
        id: encodeGlobalId("LogEntry", f.e1.logs[i] as string),
        level,
        message,
        step,
        execution: { id: exec("e1") },
      })),
    );
  });

  it.each([
    ["level INFO", () => ({ level: ["INFO" as const] }), ["Requesting https://example.test/e1", "Run finished"]],
    ["level WARN or ERROR", () => ({ level: ["WARN" as const, "ERROR" as const] }), ["Slow transform: 3 s"]],
    [
      "the fetch step",
      () => ({ stepId: stepId("fetch") }),
      ["Requesting https://example.test/e1", "Response 200 in 812 ms"],
    ],
    ["the notify step (wrote nothing)", () => ({ stepId: stepId("notify") }), []],
    ["search, case-insensitive", () => ({ search: "RUN FIN" }), ["Run finished"]],
    ["search, trimmed", () => ({ search: "  ms " }), ["Response 200 in 812 ms"]],
    [
      "level and step",
      () => ({ level: ["INFO" as const], stepId: stepId("fetch") }),
      ["Requesting https://example.test/e1"],
    ],
  ])("filters by %s, and totalCount follows the filter", async (_what, filter, expected) => {
    const result = await app.query(Logs, { id: exec("e1"), filter: filter() });
    expect(messages(result)).toEqual(expected);
    expect(result.execution?.logs.totalCount).toBe(expected.length);
  });

  it("pages", async () => {
    const page1 = await app.query(Logs, { id: exec("e1"), first: 3 });
    expect(page1.execution?.logs.pageInfo.hasNextPage).toBe(true);
    const page2 = await app.query(Logs, { id: exec("e1"), first: 3, after: page1.execution?.logs.pageInfo.endCursor });
    expect(messages(page2)).toEqual(["Run finished"]);
  });

  it("rejects a stepId that is not a Step ID", async () => {
    const result = await app.request(Logs, { id: exec("e1"), filter: { stepId: exec("e1") } });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });

  it.each([
    ["fetch", undefined, ["Requesting https://example.test/e1", "Response 200 in 812 ms"]],
    ["fetch", { level: ["DEBUG" as const] }, ["Response 200 in 812 ms"]],
    ["transform", undefined, ["Slow transform: 3 s"]],
    ["notify", undefined, []],
  ])("Step.logs of %s with filter %j", async (key, filter, expected) => {
    const { node } = await app.query(StepLogs, { id: stepId(key), filter });
    expect(node).toEqual({
      key,
      logs: { totalCount: expected.length, edges: expected.map((message) => ({ node: { message } })) },
    });
  });
});
