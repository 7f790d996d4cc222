// The composition root: wires config → database → schema → HTTP server, and stops them in reverse.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.ts";
import { createContext } from "./context.ts";
import { createDb, type Db } from "./db/client.ts";
import { openDatabase } from "./db/database.ts";
import { ensureDevTenant } from "./db/tenants.ts";
import { schema } from "./schema/index.ts";
import { createGraphQLServer, GRAPHQL_PATH } from "./server/yoga.ts";

export type Logger = Pick<Console, "info" | "warn" | "error">;

export type App = {
  db: Db;
  /** Listens on `port` (0 picks a free one); resolves to the GraphQL URL. */
  start(port?: number, host?: string): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
};

export type AppOptions = {
  log?: Logger;
  /** Sees every SQL statement the app runs (tests count them to catch N+1 queries). */
  onQuery?: (sql: string, durationMs: number) => void;
};

export async function createApp(config: Config, { log = console, onQuery }: AppOptions = {}): Promise<App> {
  const database = await openDatabase(config);
  if (database.migrated.length > 0) log.info(`Applied migrations: ${database.migrated.join(", ")}`);
  const db = createDb({
    url: database.url,
    poolSize: config.databasePoolSize,
    onQuery:
      config.logSql || onQuery
        ? (sql, ms) => {
            onQuery?.(sql, ms);
            if (config.logSql) log.info(`[sql ${ms}ms] ${sql}`);
          }
        : undefined,
  });
  try {
    const tenant = await ensureDevTenant(db);
    const viewer = { kind: "dev", name: "dev" } as const;
    const yoga = createGraphQLServer({
      schema,
      context: () => createContext(db, tenant, viewer),
      graphiql: config.graphiql,
      logError: (message, error) => log.error(message, error),
    });
    const server = http.createServer(yoga);
    return {
      db,
      start: (port = config.port, host = config.host) =>
        new Promise((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, host, () => {
            const address = server.address() as AddressInfo;
            resolve({ port: address.port, url: `http://${host}:${address.port}${GRAPHQL_PATH}` });
          });
        }),
      async stop() {
        if (server.listening) {
          const closed = new Promise((resolve) => server.close(resolve));
          server.closeIdleConnections();
          await closed;
        }
        await db.$disconnect();
        await database.stop();
      },
    };
  } catch (err) {
    await db.$disconnect();
    await database.stop();
    throw err;
  }
}
