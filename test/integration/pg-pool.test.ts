// createPgPool through a proxy that cuts the database off: an outage is one line and its end one
// line, "fail" pools fail at once, "wait" pools hold connections until the database is back.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabaseHealth, createPgPool, type PgPool, type PgPoolOptions } from "../../src/db/pool.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

describe("createPgPool", () => {
  let proxy: TcpProxy;
  let url: string;
  const lines: string[] = [];
  const log = { error: (line: string) => lines.push(line), info: (line: string) => lines.push(line) };
  const pools: PgPool[] = [];
  const pool = (options: Pick<PgPoolOptions, "whileUnreachable" | "health"> = {}) => {
    const created = createPgPool({ url, max: 4, name: "test", log, ...options });
    pools.push(created);
    return created;
  };
  /** Resolves when the pool's health confirms an outage. */
  const outage = (p: PgPool) =>
    new Promise<void>((resolve) => {
      const off = p.health.onChange((reachable) => reachable || (off(), resolve()));
    });
  /** Fills the pool with open connections, so that a cut drops them. */
  const warm = (p: PgPool) => Promise.all(Array.from({ length: 4 }, () => p.query("SELECT pg_sleep(0.05)")));

  beforeAll(async () => {
    const admin = new URL(inject("adminDatabaseUrl"));
    proxy = await startTcpProxy(admin.hostname, Number(admin.port || 5432));
    admin.hostname = "127.0.0.1";
    admin.port = String(proxy.port);
    url = admin.toString();
  });
  afterEach(async () => {
    proxy.restore();
    for (const p of pools.splice(0)) if (!p.ending) await p.end();
    lines.length = 0;
  });
  afterAll(() => proxy.stop());

  it("reports an outage once and its end once, however many connections fail", async () => {
    const p = pool();
    await warm(p);
    const confirmed = outage(p);
    proxy.cut();
    const failures = await Promise.allSettled(Array.from({ length: 20 }, () => p.query("SELECT 1")));
    expect(failures.every((f) => f.status === "rejected")).toBe(true);
    expect(p.health.reachable).toBe(false);
    await confirmed;
    proxy.restore();
    await p.whenReachable();
    expect((await p.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    expect(lines).toEqual([
      expect.stringMatching(/^database unreachable: .+ \(test pool\)$/),
      expect.stringMatching(/^database reachable again after \d+\.\d s$/),
    ]);
  });

  it("says nothing when only a connection was lost", async () => {
    const p = pool();
    await warm(p);
    const [row] = (await p.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
    const removed = new Promise((resolve) => p.once("remove", resolve));
    await pool().query("SELECT pg_terminate_backend($1)", [row?.pid]);
    await removed;
    await p.whenReachable();
    expect((await p.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    expect(lines).toEqual([]);
  });

  it("shares one report between pools that share a health", async () => {
    const health = createDatabaseHealth({ url, log });
    const [a, b] = [pool({ health }), pool({ health })] as [PgPool, PgPool];
    await Promise.all([warm(a), warm(b)]);
    const confirmed = outage(a);
    proxy.cut();
    await Promise.allSettled([a.query("SELECT 1"), b.query("SELECT 1"), a.query("SELECT 1"), b.query("SELECT 1")]);
    await confirmed;
    proxy.restore();
    await b.whenReachable();
    expect(lines).toHaveLength(2);
  });

  it("holds connections while the database is away in wait mode, and lets them go on", async () => {
    const p = pool({ whileUnreachable: "wait" });
    await warm(p);
    const confirmed = outage(p);
    proxy.cut();
    // A failure is how the pool learns of the outage; from then on connections wait.
    await Promise.allSettled([p.query("SELECT 1")]);
    await confirmed;
    let answered = false;
    const held = p.query("SELECT 1 AS one").then((result) => {
      answered = true;
      return result.rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(answered).toBe(false);
    // Only the probe tries, backing off.
    expect(proxy.attemptsWhileCut()).toBeLessThan(8);
    proxy.restore();
    expect(await held).toEqual([{ one: 1 }]);
  });

  it("gives up waiting when the pool is ended", async () => {
    const p = pool({ whileUnreachable: "wait" });
    await warm(p);
    proxy.cut();
    await Promise.allSettled([p.query("SELECT 1")]);
    const held = expect(p.query("SELECT 1")).rejects.toThrow(/ended while waiting for the database/);
    const waiting = expect(p.whenReachable()).rejects.toThrow(/ended while waiting for the database/);
    await p.end();
    await Promise.all([held, waiting]);
  });
});
