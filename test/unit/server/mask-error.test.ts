import { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../../src/errors.ts";
import { queryTooComplex } from "../../../src/server/limits.ts";
import { createMaskError } from "../../../src/server/mask-error.ts";

function masked(error: unknown) {
  const logged: unknown[] = [];
  const result = createMaskError((_message, cause) => logged.push(cause))(error, "Unexpected error.");
  return { result: result as GraphQLError, logged };
}

describe("createMaskError", () => {
  it("hides internal messages, SQL and stacks, and logs the cause", () => {
    const internal = new Error('Invalid `prisma.workflow.findMany()`: relation "Workflow" does not exist: SELECT * FROM "Workflow"');
    const wrapped = new GraphQLError(internal.message, { originalError: internal, path: ["workflows"] });
    const { result, logged } = masked(wrapped);
    expect(result.message).toBe("Unexpected error.");
    expect(result.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(result.path).toEqual(["workflows"]);
    const json = JSON.stringify(result.toJSON());
    expect(json).not.toMatch(/prisma|SELECT|Workflow"|stack/);
    expect(logged).toEqual([internal]);
  });

  it("keeps AppErrors' messages with their code", () => {
    const { result, logged } = masked(new GraphQLError("x", { originalError: new NotFoundError("Workflow", "1") }));
    expect(result.message).toBe('Workflow "1" was not found');
    expect(result.extensions["code"]).toBe("NOT_FOUND");
    expect(logged).toEqual([]);
  });

  it("gives operation-limit rejections a stable code and a 400", () => {
    const { result } = masked(queryTooComplex(new GraphQLError("Syntax Error: Token limit of 5 exceeded.")));
    expect(result.message).toBe("Token limit of 5 exceeded.");
    expect(result.extensions).toEqual({ code: "QUERY_TOO_COMPLEX", http: { status: 400, spec: false } });
  });

  it("renames yoga's body-size code to PAYLOAD_TOO_LARGE", () => {
    const tooLarge = createGraphQLError("Request body too large", {
      extensions: { code: "REQUEST_ENTITY_TOO_LARGE", http: { status: 413 } },
    });
    const { result } = masked(tooLarge);
    expect(result.extensions).toEqual({ code: "PAYLOAD_TOO_LARGE", http: { status: 413 } });
  });
});
