// Reshapes data: the runner resolves templates in `output` before calling, so the step's output is
// simply that value, e.g. { output: { total: "{{input.order.total}}", id: "{{steps.a.output.id}}" } }.

import { z } from "zod";
import { defineAction } from "./types.ts";

export const transformAction = defineAction({
  type: "transform",
  pure: true,
  // Required (zod v4 does not treat z.unknown() keys as optional): a missing `output` is a typo,
  // and undefined would not survive being stored as JSON anyway.
  input: z.strictObject({ output: z.unknown() }),
  async run(input) {
    return { status: "completed", output: input.output };
  },
});
