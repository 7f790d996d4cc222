import { describe, expect, it } from "vitest";
import { pollingStream } from "../../../src/realtime/polling.ts";

describe("pollingStream", () => {
  it("yields the first read at once, then only changes, and ends after the last", async () => {
    const reads = [
      { value: 1, key: "a", last: false },
      { value: 2, key: "a", last: false },
      { value: 3, key: "b", last: false },
      { value: 4, key: "c", last: true },
    ];
    let i = 0;
    const stream = pollingStream(async () => reads[i++] ?? null, 1);
    const seen: number[] = [];
    for await (const value of stream) seen.push(value);
    expect(seen).toEqual([1, 3, 4]);
    expect(i).toBe(4);
  });

  it("ends when the thing read is gone", async () => {
    const stream = pollingStream(async () => null, 1);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("return() ends a stream that is waiting for its next read at once", async () => {
    let reads = 0;
    const stream = pollingStream(async () => ({ value: reads++, key: "same", last: false }), 60_000);
    expect(await stream.next()).toEqual({ value: 0, done: false });
    const pending = stream.next();
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(reads).toBe(1);
  });
});
