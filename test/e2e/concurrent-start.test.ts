// Any number of processes may start at the same moment on a fresh database (a deploy that starts
// every replica at once): each one migrates or waits for the one that does, creates the dev
// tenant or finds it, and becomes ready without an error. Before: 2 of 4 tries crashed on the dev
// tenant's upsert (P2002 on slug).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase } from "../support/database.ts";
import { freePort, type ServerProcess, startServerProcess } from "../support/process.ts";

const PROCESSES = 4;

describe(`${PROCESSES} processes started at once on an empty database`, () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    for (const server of servers) server.child.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.exited));
    await database?.drop();
  });

  it("all become ready, without an error", { timeout: 90_000 }, async () => {
    const ports = await Promise.all(Array.from({ length: PROCESSES }, () => freePort()));
    for (const port of ports) {
      servers.push(startServerProcess({ NODE_ENV: "test", DATABASE_URL: database.url, PORT: String(port) }));
    }
    const urls = await Promise.all(servers.map(async (s) => (await s.waitFor(/ready at (\S+)/, 80_000))[1] as string));
    for (const server of servers) expect(server.output()).not.toMatch(/error|\n\s+at /i);
    // Each one serves, as the same dev tenant.
    const tenants = await Promise.all(
      urls.map(async (url) => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ workflows { totalCount } }" }),
        });
        return res.json();
      }),
    );
    expect(tenants).toEqual(Array(PROCESSES).fill({ data: { workflows: { totalCount: 0 } } }));
  });
});
