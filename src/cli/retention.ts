// `npm run retention -- [--dry-run] [--days N]`: deletes the finished executions that completed
// more than N days ago (default EXECUTION_RETENTION_DAYS) with their batches, steps, events and
// logs, and the emitEvent records and finished bulk operations older than that, as the worker's
// scheduled pass does; --dry-run only lists what would go, per tenant.
// With the embedded database it connects to the running server's PostgreSQL, or starts it.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { createPgPool } from "../db/pool.ts";
import { createSqlRunner } from "../engine/store/sql.ts";
import { applyRetention, DAY_MS, previewRetention } from "../services/retention.ts";

const USAGE = "Usage: npm run retention -- [--dry-run] [--days <N>]   (N defaults to EXECUTION_RETENTION_DAYS)";
class UsageError extends Error {}

const recordsText = (emissions: number, bulkOperations: number) =>
  `${emissions} emitEvent idempotency record(s) and ${bulkOperations} finished bulk operation(s)`;

let exitCode = 0;
try {
  const { values } = parseArgs({ options: { "dry-run": { type: "boolean" }, days: { type: "string" } } });
  const config = loadConfig(process.env);
  const days = values.days === undefined ? config.retention.days : Number(values.days);
  if (!Number.isInteger(days) || days < 0) throw new UsageError(`--days: a whole number of days\n${USAGE}`);
  if (days === 0) {
    throw new UsageError(`Retention is off (EXECUTION_RETENTION_DAYS=0): pass --days <N> to choose how long runs are kept.\n${USAGE}`);
  }
  const olderThan = new Date(Date.now() - days * DAY_MS);
  const database = await openDatabase(config, console.error);
  const pool = createPgPool({ url: database.url, max: 2, name: "retention" });
  const sql = createSqlRunner(pool);
  try {
    const plan = await previewRetention(sql, olderThan);
    const count = plan.reduce((sum, p) => sum + p.count, 0);
    const records = plan.reduce((sum, p) => sum + p.emissions + p.bulkOperations, 0);
    const verb = values["dry-run"] ? "Would delete" : "Deleting";
    console.log(`${verb} ${count} finished execution(s) completed before ${olderThan.toISOString()} (${days} days):`);
    for (const p of plan) {
      const statuses = Object.entries(p.byStatus).map(([s, n]) => `${n} ${s}`).join(", ");
      const range = p.oldest ? `, completed ${p.oldest.toISOString()} … ${p.newest?.toISOString()}` : "";
      const others = p.emissions + p.bulkOperations > 0 ? `; ${recordsText(p.emissions, p.bulkOperations)}` : "";
      console.log(`  ${p.tenant}: ${p.count}${statuses ? ` (${statuses})` : ""}${range}${others}`);
    }
    if (!values["dry-run"] && count + records > 0) {
      let done = 0;
      const deleted = await applyRetention(sql, {
        olderThan,
        batchSize: 500,
        onBatch: (_tenant, n) => {
          done += n;
          console.error(`  … ${done} deleted`);
        },
      });
      console.log(
        `Deleted ${deleted.executions} execution(s) with their steps, batches, events and logs, and ` +
          `${recordsText(deleted.emissions, deleted.bulkOperations)}.`,
      );
    }
  } finally {
    await pool.end();
    await database.stop();
  }
} catch (error) {
  exitCode = 1;
  const known = error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION";
  console.error(known ? (error as Error).message : error);
}
process.exit(exitCode);
