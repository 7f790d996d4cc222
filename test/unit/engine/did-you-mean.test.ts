import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../../../src/engine/did-you-mean.ts";

describe("closest", () => {
  it("suggests the nearest name within two edits, a swap of neighbours counting as one", () => {
    expect(closest("subjet", ["to", "subject", "text"])).toBe("subject");
    expect(closest("htlm", ["text", "html"])).toBe("html");
    expect(closest("TimeoutMS", ["timeoutMs", "method"])).toBe("timeoutMs");
    expect(closest("emial", ["http", "email", "log"])).toBe("email");
  });

  it("suggests nothing for a word unlike every candidate, or too short to tell", () => {
    expect(closest("priority", ["to", "subject"])).toBeUndefined();
    expect(closest("xy", ["to", "ms"])).toBeUndefined();
    expect(closest("anything", [])).toBeUndefined();
  });
});

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and adjacent swaps", () => {
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("subject", "subject")).toBe(0);
    expect(editDistance("subjet", "subject")).toBe(1);
    expect(editDistance("subjcet", "subject")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});
