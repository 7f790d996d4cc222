import { describe, expect, it } from "vitest";
import { maskSecrets } from "../../../src/telemetry/logger.ts";
import { recordingLogger } from "../../support/logs.ts";

const KEY = "ssk_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IiLCJ0ZW5hbnQiOiJhY21lIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("logger", () => {
  it("masks API keys, JWTs, bearer tokens and URL passwords in text", () => {
    expect(maskSecrets(`key ${KEY} token ${JWT}`)).toBe("key ssk_[redacted] token [redacted JWT]");
    expect(maskSecrets("Authorization: Bearer abc.def-ghi")).toBe("Authorization: Bearer [redacted]");
    expect(maskSecrets("postgresql://app:s3cret@db:5432/x")).toBe("postgresql://app:[redacted]@db:5432/x");
  });

  it("writes no credential, whether in a field, a message or an error", () => {
    const { log, text, lines } = recordingLogger();
    log.info({ headers: { authorization: `Bearer ${KEY}` }, apiKey: KEY }, "a request");
    log.warn(`rejected ${JWT}`);
    log.error({ err: new Error(`bad key ${KEY}`, { cause: new Error(`inner ${JWT}`) }) }, "failed");
    expect(lines).toHaveLength(3);
    expect(text()).not.toContain(KEY.slice(4));
    expect(text()).not.toContain(JWT.split(".")[1]);
    // An error is logged once, with its cause in the same line.
    expect((lines[2]?.["err"] as { message: string }).message).toMatch(/bad key ssk_\[redacted\]: inner \[redacted JWT\]/);
  });
});
