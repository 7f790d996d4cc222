// Writes a Log entry for the step; useful for recording templated values mid-workflow.

import { z } from "zod";
import { defineAction } from "./types.ts";

export const logAction = defineAction({
  type: "log",
  pure: true,
  input: z.strictObject({
    message: z.string(),
    level: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
    data: z.unknown().optional(),
  }),
  async run({ message, level, data }, ctx) {
    ctx.log(level, message, data);
    return { status: "completed", output: { logged: true } };
  },
});
