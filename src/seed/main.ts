// `npm run seed [-- --executions N]`: writes demo data for the dev tenant (slug "dev", created if
// missing) into DATABASE_URL, or into the embedded PostgreSQL when it is unset.
//
// Re-running does not duplicate anything: in one transaction the seed deletes every workflow of
// the dev tenant — the foreign keys cascade to their versions, executions, batches, steps, events
// and log entries — and re-creates 8 workflows with ~5,000 executions over the last 30 days.
// Anything else in the dev tenant that hangs off those workflows is lost; other tenants are not
// touched. The data is deterministic (fixed random seed) apart from ids and the "now" it ends at.
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { createDb } from "../db/client.ts";
import { openDatabase } from "../db/database.ts";
import { seed } from "./seed.ts";

const { values } = parseArgs({ options: { executions: { type: "string" } } });
const executions = values.executions === undefined ? undefined : Number(values.executions);
if (executions !== undefined && !(Number.isInteger(executions) && executions >= 0)) {
  console.error(`--executions must be a whole number, got ${JSON.stringify(values.executions)}`);
  process.exit(2);
}

const started = performance.now();
const database = await openDatabase(loadConfig(process.env));
const db = createDb({ url: database.url });
try {
  const summary = await seed(db, { executions });
  const total = Math.round(performance.now() - started);
  console.log(`Seeded tenant "dev" (${summary.tenantId}), replacing ${summary.replacedWorkflows} workflow(s):`);
  console.table(summary.counts);
  console.log(
    `Generated in ${summary.timings.generateMs} ms, written in ${summary.timings.writeMs} ms, ` +
      `vacuumed in ${summary.timings.vacuumMs} ms; ${total} ms in all.`,
  );
} finally {
  await db.$disconnect();
  await database.stop();
}
