// bulkOperationUpdated: the operation whenever its status or progress changes, read from the
// database every POLL_MS (a worker in any process writes it; no event announces it). Completes
// after the operation ended; at once, with its final state, if it has ended already.
import { NotFoundError } from "../../errors.ts";
import { pollingStream } from "../../realtime/polling.ts";
import { builder } from "../builder.ts";
import { BulkOperation } from "../bulk-operation/types.ts";
import { decodeIdOf } from "../global-id.ts";
import { serve } from "./shared.ts";

const POLL_MS = 200;
const ENDED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

builder.subscriptionField("bulkOperationUpdated", (t) =>
  t.prismaField({
    type: BulkOperation,
    nullable: false,
    description:
      "The bulk operation now, then whenever its status or progress changes (checked every 200 ms; a chunk's " +
      "progress may arrive as one update). Completes after it has ended; at once if it has ended already.",
    args: { id: t.arg.id({ required: true, description: "Global ID of the bulk operation." }) },
    subscribe: async (_root, args, ctx) => {
      const id = decodeIdOf("BulkOperation", String(args.id));
      const read = () =>
        ctx.db.bulkOperation.findFirst({ where: { id }, select: { id: true, status: true, processed: true } });
      const first = await read();
      if (!first) throw new NotFoundError("BulkOperation", String(args.id));
      let current: typeof first | null = first;
      const updates = pollingStream(async () => {
        const row = current ?? (await read());
        current = null;
        // Deleted meanwhile (its tenant went): nothing more will come.
        if (!row) return null;
        return { value: row.id, key: `${row.status}:${row.processed}`, last: ENDED.has(row.status) };
      }, POLL_MS);
      return serve(ctx, updates);
    },
    resolve: (query, id, _args, ctx) => ctx.db.bulkOperation.findFirstOrThrow({ ...query, where: { id } }),
  }),
);
