import { describe, expect, it } from "vitest";
import { targetFilter } from "../../../src/services/bulk-operations/kinds.ts";

describe("targetFilter", () => {
  it("targets only the statuses each kind applies to", () => {
    // Every status before the end (a status added later, e.g. PAUSED, included), none after it.
    const open = targetFilter("CANCEL", null)?.status ?? [];
    expect(open).toEqual(expect.arrayContaining(["PENDING", "RUNNING"]));
    expect(open.filter((s) => ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"].includes(s))).toEqual([]);
    expect(targetFilter("RETRY", { workflowId: "w" })).toEqual({ workflowId: "w", status: ["FAILED", "CANCELLED", "TIMED_OUT"] });
    expect(targetFilter("DELETE", {})?.status).toEqual(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);
  });

  it("narrows a filter's own statuses, and matches nothing when none is left", () => {
    expect(targetFilter("DELETE", { status: ["RUNNING", "FAILED"] })?.status).toEqual(["FAILED"]);
    expect(targetFilter("CANCEL", { status: ["COMPLETED"] })).toBeNull();
  });
});
