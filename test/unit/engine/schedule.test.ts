import { describe, expect, it } from "vitest";
import { parseWorkflowDefinition } from "../../../src/engine/definition.ts";
import { cronProblem, isTimeZone, nextTick } from "../../../src/engine/schedule.ts";
import { followingTick, tickKey } from "../../../src/services/schedules.ts";

const steps = [{ id: "a", type: "log", config: { message: "x" } }];
const issuesOf = (schedule: unknown) => {
  const parsed = parseWorkflowDefinition({ trigger: { schedule }, steps });
  return parsed.ok ? [] : parsed.issues;
};

describe("trigger.schedule", () => {
  it("accepts a standard 5-field cron with an IANA time zone, UTC by default", () => {
    const parsed = parseWorkflowDefinition({ trigger: { schedule: { cron: "*/5 * * * *" } }, steps });
    expect(parsed.ok && parsed.value.trigger?.schedule).toEqual({ cron: "*/5 * * * *", timezone: "UTC" });
    expect(issuesOf({ cron: "0 9 * * MON-FRI", timezone: "Europe/Berlin" })).toEqual([]);
  });

  it("rejects what is not a 5-field cron, at the path of the cron", () => {
    for (const cron of ["* * * *", "*/5 * * * * *", "61 * * * *", "every minute", "* * 32 * *"]) {
      const issues = issuesOf({ cron });
      expect(issues.map((i) => i.path), cron).toEqual([["trigger", "schedule", "cron"]]);
    }
    expect(issuesOf({ cron: "* * * *" })[0]?.message).toBe(
      "must have 5 fields (minute hour day-of-month month day-of-week), not 4",
    );
    expect(cronProblem("61 * * * *")).toMatch(/^invalid cron expression: /);
  });

  it("rejects an unknown time zone and unknown keys", () => {
    expect(issuesOf({ cron: "* * * * *", timezone: "Mars/Olympus" })).toEqual([
      { path: ["trigger", "schedule", "timezone"], message: 'unknown time zone "Mars/Olympus" (use an IANA name such as "Europe/Berlin")' },
    ]);
    expect(issuesOf({ cron: "* * * * *", every: 5 }).map((i) => i.path)).toEqual([["trigger", "schedule", "every"]]);
    expect(isTimeZone("America/New_York")).toBe(true);
  });
});

describe("ticks", () => {
  it("are computed in the schedule's time zone", () => {
    const at = new Date("2026-07-01T12:00:00Z");
    // 09:00 in Berlin is 07:00 UTC in summer.
    expect(nextTick({ cron: "0 9 * * *", timezone: "Europe/Berlin" }, at)).toEqual(new Date("2026-07-02T07:00:00Z"));
    expect(nextTick({ cron: "*/15 * * * *", timezone: "UTC" }, at)).toEqual(new Date("2026-07-01T12:15:00Z"));
  });

  it("after a run, move on to the first tick after now, however many were missed", () => {
    const schedule = { cron: "* * * * *", timezone: "UTC" };
    const tick = new Date("2026-07-01T12:00:00Z");
    expect(followingTick(schedule, tick, new Date("2026-07-01T12:00:00.300Z"))).toEqual(new Date("2026-07-01T12:01:00Z"));
    // Down for an hour: one run for the hour, then the next minute after now.
    expect(followingTick(schedule, tick, new Date("2026-07-01T13:00:30Z"))).toEqual(new Date("2026-07-01T13:01:00Z"));
    expect(tickKey(tick)).toBe("schedule:2026-07-01T12:00:00.000Z");
  });
});
