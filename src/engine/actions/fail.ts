// Fails the step on purpose, e.g. behind a `when` condition that detects bad input.

import { z } from "zod";
import { defineAction, failed } from "./types.ts";

export const failAction = defineAction({
  type: "fail",
  pure: true,
  input: z.strictObject({
    message: z.string().min(1),
    code: z.string().min(1).default("FAILED_BY_DEFINITION"),
    retryable: z.boolean().default(false),
  }),
  async run({ message, code, retryable }) {
    return failed(code, message, retryable);
  },
});
