// The baseline the engine is measured against, in the same run on the same PostgreSQL server:
// what bare `pg` allows for durable step transitions. Each of `clients` connections loops
// BEGIN; UPDATE one step row; INSERT one event; COMMIT — one commit per transition, the shape of
// the cheapest engine that makes every step durable on its own. Scratch tables with the same
// kinds of keys and indexes as "Step" and "ExecutionEvent" keep the app's tables out of it.
import { randomUUID } from "node:crypto";
import pg from "pg";

export type PgLimit = { transitionsPerSecond: number; transitions: number; clients: number; durationMs: number };

export async function measurePgLimit(databaseUrl: string, options: { clients: number; durationMs: number; signal: AbortSignal }): Promise<PgLimit> {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  const rows = 2_000;
  try {
    await setup.query(`
      DROP TABLE IF EXISTS bench_limit_event, bench_limit_step;
      CREATE TABLE bench_limit_step (id uuid PRIMARY KEY, "executionId" uuid NOT NULL, status text NOT NULL, attempt int NOT NULL, "startedAt" timestamptz);
      CREATE TABLE bench_limit_event (id uuid PRIMARY KEY, "executionId" uuid NOT NULL, "stepId" uuid REFERENCES bench_limit_step(id),
        sequence int NOT NULL, type text NOT NULL, at timestamptz NOT NULL, data jsonb, UNIQUE ("executionId", sequence));
      CREATE INDEX ON bench_limit_event ("stepId");`);
    await setup.query(
      `INSERT INTO bench_limit_step SELECT gen_random_uuid(), gen_random_uuid(), 'PENDING', 0, NULL FROM generate_series(1, $1)`,
      [rows],
    );
    const { rows: steps } = await setup.query<{ id: string; executionId: string }>(`SELECT id, "executionId" FROM bench_limit_step`);
    const clients = await Promise.all(
      Array.from({ length: options.clients }, async () => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        return client;
      }),
    );
    let transitions = 0;
    const sequences = new Map<string, number>();
    const started = performance.now();
    const end = started + options.durationMs;
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = c; performance.now() < end && !options.signal.aborted; i += options.clients) {
          const step = steps[i % steps.length] as { id: string; executionId: string };
          const sequence = (sequences.get(step.id) ?? 0) + 1;
          sequences.set(step.id, sequence);
          await client.query("BEGIN");
          await client.query(`UPDATE bench_limit_step SET status = 'RUNNING', attempt = attempt + 1, "startedAt" = now() WHERE id = $1`, [step.id]);
          await client.query(
            `INSERT INTO bench_limit_event (id, "executionId", "stepId", sequence, type, at, data) VALUES ($1, $2, $3, $4, 'STEP_COMPLETED', now(), $5)`,
            [randomUUID(), step.executionId, step.id, sequence * 1000 + c, JSON.stringify({ attempt: sequence })],
          );
          await client.query("COMMIT");
          transitions += 1;
        }
      }),
    );
    const durationMs = performance.now() - started;
    await Promise.all(clients.map((client) => client.end()));
    return { transitionsPerSecond: (transitions / durationMs) * 1000, transitions, clients: options.clients, durationMs };
  } finally {
    await setup.query("DROP TABLE IF EXISTS bench_limit_event, bench_limit_step").catch(() => {});
    await setup.end();
  }
}
