// rollupCount's exactness rests on this split: whole UTC days from the daily rollup, the rest of
// the range from the rows, with nothing counted twice or left out.
import { describe, expect, it } from "vitest";
import { splitRange } from "../../../src/read/rollup-count.ts";

const at = (iso: string) => new Date(iso);

describe("splitRange", () => {
  it("leaves a range on day boundaries to whole days", () => {
    expect(splitRange(at("2026-11-02T00:00:00Z"), at("2026-11-05T00:00:00Z"))).toEqual({
      days: { first: at("2026-11-02T00:00:00Z"), end: at("2026-11-05T00:00:00Z") },
      partial: [],
    });
  });

  it("counts the cut days at either end from the rows", () => {
    expect(splitRange(at("2026-11-02T10:00:00Z"), at("2026-11-05T08:30:00Z"))).toEqual({
      days: { first: at("2026-11-03T00:00:00Z"), end: at("2026-11-05T00:00:00Z") },
      partial: [
        [at("2026-11-02T10:00:00Z"), at("2026-11-03T00:00:00Z")],
        [at("2026-11-05T00:00:00Z"), at("2026-11-05T08:30:00Z")],
      ],
    });
  });

  it("keeps an open side open", () => {
    expect(splitRange(at("2026-11-02T10:00:00Z"), null)).toEqual({
      days: { first: at("2026-11-03T00:00:00Z"), end: null },
      partial: [[at("2026-11-02T10:00:00Z"), at("2026-11-03T00:00:00Z")]],
    });
    expect(splitRange(null, at("2026-11-05T00:00:00Z"))).toEqual({
      days: { first: null, end: at("2026-11-05T00:00:00Z") },
      partial: [],
    });
  });

  it("counts a range inside one day, or across one midnight, from the rows alone", () => {
    expect(splitRange(at("2026-11-02T10:00:00Z"), at("2026-11-02T11:00:00Z"))).toEqual({
      days: null,
      partial: [[at("2026-11-02T10:00:00Z"), at("2026-11-02T11:00:00Z")]],
    });
    expect(splitRange(at("2026-11-02T22:00:00Z"), at("2026-11-03T02:00:00Z"))).toEqual({
      days: null,
      partial: [[at("2026-11-02T22:00:00Z"), at("2026-11-03T02:00:00Z")]],
    });
  });

  it("gives nothing for an empty or inverted range", () => {
    expect(splitRange(at("2026-11-02T10:00:00Z"), at("2026-11-02T10:00:00Z"))).toEqual({ days: null, partial: [] });
    expect(splitRange(at("2026-11-05T00:00:00Z"), at("2026-11-02T00:00:00Z"))).toEqual({ days: null, partial: [] });
  });
});
