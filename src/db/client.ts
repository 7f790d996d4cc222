// Prisma client factory. There is no module-level client: app.ts creates one per process (and
// tests one per database) and closes it in stop().
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import type pg from "pg";
import { createPgPool, type DatabaseHealth } from "./pool.ts";

export type Db = PrismaClient;

export type DbOptions = {
  url: string;
  poolSize?: number;
  /** Called once per SQL statement; used by tests that count statements and by LOG_SQL. */
  onQuery?: (sql: string, durationMs: number) => void;
  /** Shared with the process's other pools (db/pool.ts), so that an outage is reported once. */
  health?: DatabaseHealth;
  /** Told of the client's pool (metrics: pool use). */
  onPool?: (name: string, pool: pg.Pool) => void;
};

export function createDb({ url, poolSize = 10, onQuery, health, onPool }: DbOptions): Db {
  // The adapter ends the pool on $disconnect.
  const pool = createPgPool({ url, max: poolSize, name: "app", health });
  onPool?.("app", pool);
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  if (!onQuery) return new PrismaClient({ adapter });
  const db = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  db.$on("query", (e) => onQuery(e.query, e.duration));
  return db;
}
