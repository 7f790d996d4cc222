// `npm start` with no DATABASE_URL: an embedded PostgreSQL with its data kept across restarts,
// stopped cleanly on SIGTERM, and a clear error when its port is taken. Every command of the
// checkout shares it: a command run while the server runs connects to the server's database, one
// run alone starts and stops it, and whoever leaves last stops it.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startServerProcess } from "../support/process.ts";

describe("the embedded database", () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "stepstream-embedded-"));
    env = {
      NODE_ENV: "test",
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      EMBEDDED_PG_DATA_DIR: dataDir,
    };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  async function startAndQuery() {
    const server = startServerProcess(env);
    const [, url] = (await server.waitFor(/ready at (\S+)/)) as RegExpMatchArray;
    const res = await fetch(url as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ workflows { totalCount } }" }),
    });
    const body = await res.json();
    server.child.kill("SIGTERM");
    const code = await server.exited;
    return { body, code, output: server.output() };
  }

  it("starts on a fresh data directory, keeps it, and stops cleanly on SIGTERM", { timeout: 180_000 }, async () => {
    const first = await startAndQuery();
    expect(first.body).toEqual({ data: { workflows: { totalCount: 0 } } });
    expect(first.code).toBe(0);
    expect(first.output).toContain("Applied migrations");
    // The slow steps of a first start say what they do before they begin.
    expect(first.output).toContain("First start: creating the embedded PostgreSQL");
    expect(first.output).toMatch(/Applying \d+ migration\(s\) with Prisma Migrate/);
    expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
    // postgres removes its pid file when it shuts down cleanly.
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);

    const second = await startAndQuery();
    expect(second.body).toEqual({ data: { workflows: { totalCount: 0 } } });
    expect(second.code).toBe(0);
    expect(second.output).not.toContain("Applied migrations");
  });

  it("fails with a clear message when its port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.EMBEDDED_PG_PORT), "127.0.0.1", resolve));
    try {
      const server = startServerProcess(env);
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain(`Port ${env.EMBEDDED_PG_PORT} for the embedded PostgreSQL is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("fails with a clear message when its data directory is unusable", async () => {
    const notADirectory = path.join(dataDir, "a-file");
    await writeFile(notADirectory, "not a directory");
    const server = startServerProcess({ ...env, EMBEDDED_PG_DATA_DIR: notADirectory });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(`The embedded PostgreSQL data directory ${notADirectory} is not usable`);
  });

  const pidFile = () => path.join(dataDir, "postmaster.pid");
  const command = (script: string, args: string[] = []) => startServerProcess(env, script, args);

  it("lets migrate and apikey use the running server's database, which stops with the server", { timeout: 180_000 }, async () => {
    const server = startServerProcess(env);
    const [, url] = (await server.waitFor(/ready at (\S+)/)) as RegExpMatchArray;
    const migrate = command("src/db/migrate-cli.ts");
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(migrate.output()).toContain("The database is up to date.");
    const tenant = command("src/auth/apikey-cli.ts", ["tenant", "shared-db"]);
    expect(await tenant.exited, tenant.output()).toBe(0);
    const list = command("src/auth/apikey-cli.ts", ["list"]);
    expect(await list.exited, list.output()).toBe(0);
    // The server's database is still up for it after the commands ended.
    const res = await fetch(url as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ workflows { totalCount } }" }),
    });
    expect(res.status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
  });

  it("starts the database for a command run alone, and stops it after", { timeout: 120_000 }, async () => {
    const migrate = command("src/db/migrate-cli.ts");
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
  });

  it("keeps the database up for a seed that outlives the server, which then stops it", { timeout: 180_000 }, async () => {
    const server = startServerProcess(env);
    await server.waitFor(/ready at (\S+)/);
    const seed = command("src/seed/main.ts", ["--executions", "1500"]);
    await seed.waitFor(/executions \(\d+\/s\)/, 120_000);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(await seed.exited, seed.output()).toBe(0);
    expect(seed.output()).toContain("Seeded tenant");
    expect(existsSync(pidFile())).toBe(false);
  });

  it("stops the database it started and says why in one line when the HTTP port is taken", { timeout: 120_000 }, async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.PORT), "127.0.0.1", resolve));
    try {
      const server = startServerProcess(env);
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain(`Port ${env.PORT} on 127.0.0.1 is already in use`);
      expect(server.output()).not.toMatch(/\n\s+at /);
      expect(existsSync(pidFile())).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
