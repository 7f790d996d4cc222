// The queue edge of bulk operations: the job's payload, and what a failed attempt means. The work
// itself is services/bulk-operations/process.ts.
import type { JobHelpers } from "graphile-worker";
import { z } from "zod";
import {
  type BulkProcessDeps,
  failBulkOperation,
  processBulkOperation,
  releaseBulkOperation,
} from "../services/bulk-operations/process.ts";

const payload = z.object({ operationId: z.uuid(), tenantId: z.uuid() });

export function bulkOperationTask(deps: Omit<BulkProcessDeps, "signal">) {
  return async (raw: unknown, helpers: JobHelpers) => {
    const job = payload.parse(raw);
    // Stopping the worker aborts between two targets; the lease then runs out and the sweeper
    // queues the operation again for whichever worker is left.
    const work = { ...deps, signal: helpers.abortSignal };
    try {
      await processBulkOperation(work, job.tenantId, job.operationId);
    } catch (error) {
      // The last attempt ends the operation; before it, the queue retries with its backoff.
      if (helpers.job.attempts >= helpers.job.max_attempts) {
        await failBulkOperation(work, job.tenantId, job.operationId, error instanceof Error ? error.message : String(error));
        deps.onProgress?.(job.operationId);
      } else {
        await releaseBulkOperation(work, job.tenantId, job.operationId).catch(() => {});
      }
      throw error;
    }
  };
}
