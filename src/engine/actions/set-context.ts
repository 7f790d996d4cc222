// Writes keys of the run's context, which later steps read as {{context.<key>}} (README "Run
// context"). Templates in `values` are resolved first, so a step can keep what an earlier one
// returned: { values: { orderId: "{{steps.create.output.id}}" } }. Each write is a CONTEXT_UPDATED
// event; the whole context is size-limited like a step's output (ENGINE_MAX_PAYLOAD_BYTES).

import { z } from "zod";
import { defineAction } from "./types.ts";

export const CONTEXT_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const MAX_CONTEXT_KEYS_PER_STEP = 50;

export const setContextAction = defineAction({
  type: "set_context",
  pure: true,
  input: z.strictObject({
    values: z.record(z.string(), z.unknown()).superRefine((values, ctx) => {
      const keys = Object.keys(values);
      if (keys.length === 0) ctx.addIssue({ code: "custom", message: "must set at least one key" });
      if (keys.length > MAX_CONTEXT_KEYS_PER_STEP) ctx.addIssue({ code: "custom", message: `at most ${MAX_CONTEXT_KEYS_PER_STEP} keys per step` });
      for (const key of keys.filter((k) => !CONTEXT_KEY_PATTERN.test(k))) {
        ctx.addIssue({ code: "custom", path: [key], message: "a context key starts with a letter or _, then up to 63 letters, digits or _" });
      }
    }),
  }),
  async run({ values }) {
    return { status: "completed", output: { keys: Object.keys(values) }, context: values };
  },
});
