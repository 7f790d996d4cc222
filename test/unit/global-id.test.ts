import { describe, expect, it } from "vitest";
import { BadUserInputError } from "../../src/errors.ts";
import { decodeGlobalId, decodeIdOf, encodeGlobalId } from "../../src/schema/global-id.ts";

const uuid = "0b6f8e4e-5c1a-4f7e-9a51-2d6c1f3e8a90";

describe("global IDs", () => {
  it("round-trip type and uuid", () => {
    const id = encodeGlobalId("Execution", uuid);
    expect(decodeGlobalId(id)).toEqual({ typename: "Execution", id: uuid });
    expect(decodeIdOf("Execution", id)).toBe(uuid);
  });

  it.each([
    ["not base64 of anything useful", "abc"],
    ["no type", Buffer.from(`:${uuid}`).toString("base64url")],
    ["not a uuid", Buffer.from("Execution:42").toString("base64url")],
    ["empty", ""],
  ])("rejects %s as BAD_USER_INPUT", (_label, id) => {
    expect(() => decodeGlobalId(id)).toThrow(BadUserInputError);
  });

  it("rejects an ID of another type where one type is expected", () => {
    expect(() => decodeIdOf("Workflow", encodeGlobalId("Execution", uuid))).toThrow(/Expected a Workflow ID/);
  });
});
