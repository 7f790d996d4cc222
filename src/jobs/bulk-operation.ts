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

/** `stopping` aborts when the worker stops: the operation is handed back between two targets. */
export function bulkOperationTask(deps: Omit<BulkProcessDeps, "signal">, stopping: AbortSignal) {
  return async (raw: unknown, helpers: JobHelpers) => {
    const job = payload.parse(raw);
    // Stopping the worker stops it between two targets and hands the lease back; the next sweep
    // of whichever worker is left queues the operation again.
    const work = { ...deps, signal: AbortSignal.any([stopping, helpers.abortSignal]) };
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
