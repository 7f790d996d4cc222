import { describe, expect, it } from "vitest";
import { assertPageSize, MAX_PAGE_SIZE } from "../../src/schema/page-size.ts";

describe("assertPageSize", () => {
  it("allows 0 to 100 in either direction", () => {
    expect(assertPageSize({ first: 0 })).toBe(MAX_PAGE_SIZE);
    expect(assertPageSize({ last: 100 })).toBe(MAX_PAGE_SIZE);
  });
  it.each([
    [{ first: 101 }, /must not exceed 100/],
    [{ last: 1000 }, /must not exceed 100/],
    [{ first: -1 }, /must not be negative/],
    [{ first: 1, last: 1 }, /not both/],
    [{ after: "a", before: "b" }, /not both/],
  ])("rejects %o", (args, message) => {
    expect(() => assertPageSize(args)).toThrow(message);
  });
});
