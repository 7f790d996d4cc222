// Keyset pagination of the executions query over real HTTP: walks in both directions for every
// ordering (NULLs and ties included), page info, page-size limits and bad cursors. The fixture
// and the expected full lists are in test/support/{fixture,executions}.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  byId,
  directions,
  Executions,
  expectBadUserInput,
  expectedOrder,
  keys,
  orderFields,
  walkBackward,
  walkForward,
} from "../support/executions.ts";
import { createFixture, type Fixture } from "../support/fixture.ts";

let app: TestApp;
let f: Fixture;

beforeAll(async () => {
  app = await startTestApp();
  f = await createFixture(app.app.db);
});
afterAll(() => app.stop());

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("forward pagination", () => {
  it("walks CREATED_AT DESC in pages of 3", async () => {
    const p1 = (await app.query(Executions, { first: 3 })).executions;
    expect(keys(p1)).toEqual(["e8", "e7", "e6"]);
    expect(p1.totalCount).toBe(8);
    expect(p1.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: p1.edges[0]?.cursor,
      endCursor: p1.edges[2]?.cursor,
    });
    const p2 = (await app.query(Executions, { first: 3, after: p1.pageInfo.endCursor })).executions;
    expect(keys(p2)).toEqual(["e5", "e4", "e3"]);
    expect(p2.totalCount).toBe(8);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = (await app.query(Executions, { first: 3, after: p2.pageInfo.endCursor })).executions;
    expect(keys(p3)).toEqual(["e2", "e1"]);
    expect(p3.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: p3.edges[0]?.cursor,
      endCursor: p3.edges[1]?.cursor,
    });
  });

  it("walks DURATION ASC in pages of 3, across the tie and into the NULLs", async () => {
    // e2 1000, e6 2000, e3/e8 3000 (by uuid), e1 5000, e7 9000, then e4/e5 without a duration.
    const [x, y] = byId(f, "ASC", "e3", "e8");
    const [n1, n2] = byId(f, "ASC", "e4", "e5");
    const pages = await walkForward(app, 3, { orderBy: { field: "DURATION", direction: "ASC" } });
    expect(pages).toEqual([
      ["e2", "e6", x],
      [y, "e1", "e7"],
      [n1, n2],
    ]);
  });

  it("walks DURATION ASC in pages of 2, whose cursors land on the tie and between the NULLs", async () => {
    const [x, y] = byId(f, "ASC", "e3", "e8");
    const [n1, n2] = byId(f, "ASC", "e4", "e5");
    // Page 2 ends on the second of the tied pair; a page of 1 from n1 must still find n2.
    const pages = await walkForward(app, 2, { orderBy: { field: "DURATION", direction: "ASC" } });
    expect(pages).toEqual([
      ["e2", "e6"],
      [x, y],
      ["e1", "e7"],
      [n1, n2],
    ]);
    const first = (await app.query(Executions, { first: 7, orderBy: { field: "DURATION", direction: "ASC" } }))
      .executions;
    const rest = await app.query(Executions, {
      first: 5,
      after: first.pageInfo.endCursor,
      orderBy: { field: "DURATION", direction: "ASC" },
    });
    expect(keys(rest.executions)).toEqual([n2]);
  });

  for (const field of orderFields) {
    for (const direction of directions) {
      it(`${field} ${direction}: pages of 1 and 3 concatenate to the full list`, async () => {
        const orderBy = { field, direction };
        const full = expectedOrder(f, field, direction);
        expect((await walkForward(app, 1, { orderBy })).flat()).toEqual(full);
        const pages = await walkForward(app, 3, { orderBy });
        expect(pages.map((page) => page.length)).toEqual([3, 3, 2]);
        expect(pages.flat()).toEqual(full);
      });
    }
  }
});

describe("backward pagination", () => {
  it("walks CREATED_AT DESC from the end in pages of 3", async () => {
    const p1 = (await app.query(Executions, { last: 3 })).executions;
    // The last three of e8..e1, still in list order.
    expect(keys(p1)).toEqual(["e3", "e2", "e1"]);
    expect(p1.totalCount).toBe(8);
    expect(p1.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: p1.edges[0]?.cursor,
      endCursor: p1.edges[2]?.cursor,
    });
    const p2 = (await app.query(Executions, { last: 3, before: p1.pageInfo.startCursor })).executions;
    expect(keys(p2)).toEqual(["e6", "e5", "e4"]);
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = (await app.query(Executions, { last: 3, before: p2.pageInfo.startCursor })).executions;
    expect(keys(p3)).toEqual(["e8", "e7"]);
    expect(p3.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect([p3, p2, p1].flatMap(keys)).toEqual(["e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1"]);
  });

  it("walks DURATION ASC from the NULLs at the end back to the start", async () => {
    const [x, y] = byId(f, "ASC", "e3", "e8");
    const [n1, n2] = byId(f, "ASC", "e4", "e5");
    // Last page: e7 and the two NULLs; then x, y, e1; then e2, e6.
    const pages = await walkBackward(app, 3, { orderBy: { field: "DURATION", direction: "ASC" } });
    expect(pages).toEqual([
      ["e7", n1, n2],
      [x, y, "e1"],
      ["e2", "e6"],
    ]);
  });

  for (const field of orderFields) {
    for (const direction of directions) {
      it(`${field} ${direction}: pages of 1 and 3 from the end concatenate to the full list`, async () => {
        const orderBy = { field, direction };
        const full = expectedOrder(f, field, direction);
        expect((await walkBackward(app, 1, { orderBy })).reverse().flat()).toEqual(full);
        const pages = (await walkBackward(app, 3, { orderBy })).reverse();
        expect(pages.map((page) => page.length)).toEqual([2, 3, 3]);
        expect(pages.flat()).toEqual(full);
      });
    }
  }

  it("pages backward from a cursor taken on a forward page", async () => {
    // STARTED_AT DESC: e8 e7 e6 e4 e3 e2 e1 e5. Before e5 (NULL, the last row): e3 e2 e1.
    const orderBy = { field: "STARTED_AT", direction: "DESC" } as const;
    const all = (await app.query(Executions, { orderBy })).executions;
    const e5 = all.edges.at(-1)?.cursor ?? null;
    const page = (await app.query(Executions, { orderBy, last: 3, before: e5 })).executions;
    expect(keys(page)).toEqual(["e3", "e2", "e1"]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    // And forward after e4 (non-NULL) reaches e5 past the values: e3 e2 e1 e5.
    const e4 = all.edges[3]?.cursor ?? null;
    expect(keys((await app.query(Executions, { orderBy, first: 10, after: e4 })).executions)).toEqual([
      "e3",
      "e2",
      "e1",
      "e5",
    ]);
  });
});

describe("edge cases", () => {
  it("an empty result has no edges, no next page and null cursors", async () => {
    const { executions } = await app.query(Executions, { filter: { search: "no such run" }, first: 3 });
    expect(executions).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    const backward = await app.query(Executions, { filter: { search: "no such run" }, last: 3 });
    expect(backward.executions.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });

  it("an exact page has no next page", async () => {
    const { executions } = await app.query(Executions, { first: 8 });
    expect(executions.edges).toHaveLength(8);
    expect(executions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const backward = await app.query(Executions, { last: 8 });
    expect(keys(backward.executions)).toEqual(keys(executions));
    expect(backward.executions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it("after the last cursor is an empty page", async () => {
    const all = (await app.query(Executions, {})).executions;
    const { executions } = await app.query(Executions, { first: 3, after: all.pageInfo.endCursor });
    expect(executions.edges).toEqual([]);
    expect(executions.totalCount).toBe(8);
    expect(executions.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
    // Likewise before the first.
    const before = await app.query(Executions, { last: 3, before: all.pageInfo.startCursor });
    expect(before.executions.edges).toEqual([]);
    expect(before.executions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it("first: 0 is an empty page; no first/last means the default of 20", async () => {
    const zero = (await app.query(Executions, { first: 0 })).executions;
    expect(zero.edges).toEqual([]);
    expect(zero.totalCount).toBe(8);
    expect(zero.pageInfo).toMatchObject({ startCursor: null, endCursor: null, hasPreviousPage: false });
    expect(keys((await app.query(Executions, {})).executions)).toHaveLength(8);
  });

  it("allows first and last up to 100", async () => {
    expect(keys((await app.query(Executions, { first: 100 })).executions)).toHaveLength(8);
    expect(keys((await app.query(Executions, { last: 100 })).executions)).toHaveLength(8);
  });

  it("rejects page sizes above 100 or below 0, and first with last", async () => {
    expectBadUserInput(await app.request(Executions, { first: 101 }), /"first" must not exceed 100 \(got 101\)/);
    expectBadUserInput(await app.request(Executions, { last: 101 }), /"last" must not exceed 100 \(got 101\)/);
    expectBadUserInput(await app.request(Executions, { first: -1 }), /"first" must not be negative/);
    expectBadUserInput(await app.request(Executions, { last: -1 }), /"last" must not be negative/);
    expectBadUserInput(await app.request(Executions, { first: 3, last: 3 }), /"first" or "last", not both/);
  });

  it("rejects after with before, before with first and after with last", async () => {
    const { executions } = await app.query(Executions, { first: 4 });
    const cursor = executions.pageInfo.endCursor;
    expectBadUserInput(await app.request(Executions, { after: cursor, before: cursor }), /"after" or "before"/);
    // Relay leaves these undefined and the other connections (plugin-prisma) reject them; before
    // a fix, `last` with `after` returned the rows *before* the cursor.
    expectBadUserInput(await app.request(Executions, { first: 2, before: cursor }), /"before".*"last"/);
    expectBadUserInput(await app.request(Executions, { last: 2, after: cursor }), /"after".*"first"/);
  });

  it("before alone pages backward with the default size", async () => {
    // e8..e1; before e4 (the fifth): e8 e7 e6 e5.
    const all = (await app.query(Executions, {})).executions;
    const { executions } = await app.query(Executions, { before: all.edges[4]?.cursor });
    expect(keys(executions)).toEqual(["e8", "e7", "e6", "e5"]);
    expect(executions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it("rejects malformed cursors", async () => {
    const id = f.executions.e3 as string;
    const bad = [
      "garbage",
      Buffer.from("junk").toString("base64url"),
      encode({ createdAt: "2026-11-03T09:00:00.000Z", id }),
      encode(["createdAt", "2026-11-03T09:00:00.000Z"]),
      encode(["createdAt", "2026-11-03T09:00:00.000Z", "not-a-uuid"]),
      encode(["createdAt", "not a date", id]),
      // createdAt is never NULL, so a NULL cursor value cannot come from this ordering.
      encode(["createdAt", null, id]),
      encode(["createdAt", 5, id]),
    ];
    for (const after of bad) {
      expectBadUserInput(await app.request(Executions, { first: 3, after }), /Invalid cursor/);
      expectBadUserInput(await app.request(Executions, { last: 3, before: after }), /Invalid cursor/);
    }
    const duration = { field: "DURATION", direction: "ASC" } as const;
    for (const after of [encode(["durationMs", "3000", id]), encode(["durationMs", 1.5, id])]) {
      expectBadUserInput(await app.request(Executions, { first: 3, after, orderBy: duration }), /Invalid cursor/);
    }
  });

  it("rejects a cursor whose value does not fit the column, rather than failing in the database", async () => {
    const id = f.executions.e3 as string;
    const duration = { field: "DURATION", direction: "ASC" } as const;
    // durationMs is a 32-bit integer column; timestamps end long before JavaScript's Dates do.
    for (const after of [encode(["durationMs", 2 ** 31, id]), encode(["durationMs", -(2 ** 31) - 1, id])]) {
      expectBadUserInput(await app.request(Executions, { first: 3, after, orderBy: duration }), /Invalid cursor/);
    }
    for (const value of ["-200000-01-01T00:00:00.000Z", "+200000-01-01T00:00:00.000Z", "0000-12-31T00:00:00.000Z"]) {
      const after = encode(["createdAt", value, id]);
      expectBadUserInput(await app.request(Executions, { first: 3, after }), /Invalid cursor/);
    }
    // The extremes that fit are fine: nothing is before 2**31 - 1 ms, everything is after the year 1.
    const max = encode(["durationMs", 2 ** 31 - 1, id]);
    const page = await app.query(Executions, { first: 10, after: max, orderBy: duration });
    expect(keys(page.executions)).toEqual(byId(f, "ASC", "e4", "e5"));
    const start = encode(["createdAt", "0001-01-01T00:00:00.000Z", id]);
    expect(keys((await app.query(Executions, { last: 10, before: start })).executions)).toHaveLength(8);
  });

  it("rejects a cursor from a different ordering", async () => {
    const created = (await app.query(Executions, { first: 2 })).executions.pageInfo.endCursor;
    const duration = { field: "DURATION", direction: "ASC" } as const;
    expectBadUserInput(
      await app.request(Executions, { first: 2, after: created, orderBy: duration }),
      /different ordering/,
    );
    const started = (await app.query(Executions, { first: 2, orderBy: { field: "STARTED_AT", direction: "DESC" } }))
      .executions.pageInfo.endCursor;
    expectBadUserInput(await app.request(Executions, { last: 2, before: started }), /different ordering/);
  });
});
