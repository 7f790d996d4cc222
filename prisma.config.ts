// Prisma CLI configuration. Prisma 6.19's native schema engine cannot be downloaded here, so the
// CLI runs its Wasm engine through a driver adapter (engine: "js"). The server itself never runs
// the CLI on a normal start: see src/db/migrate.ts.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// adapter-pg 6.19 cannot read Postgres `name` (OID 19) and `"char"` (OID 18) columns, which the
// migration engine's catalog queries return (prisma/orm#27403). Both are plain text on the wire,
// so report them as text (OID 25). Only the CLI needs this; the app's own queries never touch them.
const TEXT_OID = 25;
function catalogTypesAsText(result: pg.QueryResult | undefined): void {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = TEXT_OID;
  }
}
class CatalogTextClient extends pg.Client {
  // pg's Pool calls query with a callback, the adapter's transactions with a promise: cover both.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (err: Error | null, result: pg.QueryResult) => {
        catalogTypesAsText(result);
        last(err, result);
      };
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const promise = (super.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args);
    return promise.then((result) => {
      catalogTypesAsText(result);
      return result;
    }) as never;
  }
}
function cliPool(connectionString: string): pg.Pool {
  return new pg.Pool({ connectionString, max: 2, Client: CatalogTextClient });
}

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL must be set for Prisma migrate commands");
  return url;
}

// The adapter's own connectToShadowDb() connects to the main database and drops the shadow
// database before closing its pool; this one creates a fresh shadow database through an admin
// connection and drops it only after the shadow pool has closed.
class CliAdapterFactory extends PrismaPg {
  constructor() {
    super(cliPool(databaseUrl()));
  }

  override async connectToShadowDb() {
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    const name = `stepstream_shadow_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(databaseUrl());
    url.pathname = `/${name}`;
    const shadowPool = cliPool(url.toString());
    const adapter = await new PrismaPg(shadowPool, { disposeExternalPool: true }).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.end();
    };
    return adapter;
  }
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new CliAdapterFactory(),
});
