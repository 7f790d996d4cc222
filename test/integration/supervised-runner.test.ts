// graphile-worker under startSupervisedRunner while the database is cut off mid-stream: the process
// stays up, and no job is lost or left locked (graphile-worker alone would leave the jobs whose
// completion was in flight locked for 4 hours, after crashing the process).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPgPool, type PgPool } from "../../src/db/pool.ts";
import { startSupervisedRunner } from "../../src/jobs/supervised-runner.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

const JOBS = 3000;

describe("startSupervisedRunner", () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let pool: PgPool;
  const errors: string[] = [];
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = new URL(database.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    const log = { error: (line: string) => lines.push(line), info: (line: string) => lines.push(line) };
    pool = createPgPool({ url: viaProxy.toString(), max: 6, name: "worker", log, whileUnreachable: "wait" });
  });
  afterAll(async () => {
    await pool?.end();
    await proxy?.stop();
    await database?.drop();
  });

  it("runs every job despite a cut while completions are in flight", { timeout: 30_000 }, async () => {
    // graphile-worker reports a worker that fails after being released with console.trace.
    const trace = vi.spyOn(console, "trace");
    const seen = new Set<number>();
    const runner = await startSupervisedRunner({
      pool,
      concurrency: 4,
      pollInterval: 100,
      restartDelayMs: 100,
      onError: (message) => errors.push(message),
      taskList: { noop: async (payload) => void seen.add((payload as { n: number }).n) },
    });
    try {
      await database.db.$executeRaw`
        SELECT graphile_worker.add_job('noop', json_build_object('n', n)) FROM generate_series(1, ${JOBS}) AS n`;
      // Cut while jobs complete at full speed, so that some completions are lost with the connection.
      while (seen.size < JOBS / 10) await new Promise((resolve) => setTimeout(resolve, 5));
      proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      proxy.restore();
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const [row] = await database.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM graphile_worker.jobs`;
        if (row?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const [left] = await database.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM graphile_worker.jobs`;
      expect(left?.n).toBe(0);
      expect(seen.size).toBe(JOBS);
      expect(errors).toEqual([]);
      expect(trace).not.toHaveBeenCalled();
      expect(lines).toEqual([
        expect.stringMatching(/^database unreachable: /),
        expect.stringMatching(/^database reachable again after /),
      ]);
    } finally {
      await runner.stop();
      trace.mockRestore();
    }
  });
});
