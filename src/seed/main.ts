// `npm run seed [-- --executions N]`: writes demo data for the dev tenant (slug "dev", created if
// missing) into DATABASE_URL, or into the embedded PostgreSQL when it is unset.
//
// Re-running does not duplicate anything: the seed first deletes every workflow of the dev tenant —
// the foreign keys cascade to their versions, executions, batches, steps, events and log entries —
// then re-creates 9 workflows and runs ~5,000 executions of them through the engine, over the last
// 30 days of simulated time. A few are left queued or asleep for the worker (`npm start`) to
// finish. Anything else in the dev tenant that hangs off those workflows is lost; other tenants are
// not touched. The data is deterministic (fixed random seed) apart from ids and the "now" it ends at.
import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import { createDb } from "../db/client.ts";
import { openDatabase } from "../db/database.ts";
import { DEFAULT_EXECUTIONS, DEV_TENANT, seed } from "./seed.ts";

const { values } = parseArgs({ options: { executions: { type: "string" } } });
const executions = values.executions === undefined ? undefined : Number(values.executions);
if (executions !== undefined && !(Number.isInteger(executions) && executions >= 0)) {
  console.error(`--executions must be a whole number, got ${JSON.stringify(values.executions)}`);
  process.exit(2);
}

const started = performance.now();
const database = await openDatabase(loadConfig(process.env), console.log);
const db = createDb({ url: database.url });
console.log(`Seeding tenant "${DEV_TENANT.slug}": resetting it, then ${executions ?? DEFAULT_EXECUTIONS} executions (~20 s for 5,000)…`);
try {
  const summary = await seed(
    { db, url: database.url },
    {
      executions,
      onProgress: ({ done, total, elapsedMs }) =>
        console.log(`  ${done}/${total} executions (${Math.round((done / elapsedMs) * 1000)}/s)`),
    },
  );
  const total = Math.round(performance.now() - started);
  const { counts, statuses, timings } = summary;
  const open = (statuses.PENDING ?? 0) + (statuses.RUNNING ?? 0);
  console.table(counts);
  console.log(
    `Seeded tenant "${DEV_TENANT.slug}" (${summary.tenantId}), replacing ${summary.replacedWorkflows} workflow(s): ` +
      `${counts.executions} executions (${Object.entries(statuses).map(([s, n]) => `${n} ${s}`).join(", ")}); ` +
      `reset in ${timings.resetMs} ms, run in ${timings.runMs} ms, vacuumed in ${timings.vacuumMs} ms, ` +
      `${total} ms in all. The ${open} queued or running finish once a worker runs (npm start).`,
  );
} finally {
  await db.$disconnect();
  await database.stop();
}
