// Database selection: DATABASE_URL when set, otherwise the embedded PostgreSQL under .data/.
// Either way the schema is brought up to date before anything else touches it.
import type { Config } from "../config.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrateDatabase } from "./migrate.ts";

export type Database = {
  url: string;
  embedded: boolean;
  /** Migrations this start applied (empty when the database was up to date). */
  migrated: string[];
  stop(): Promise<void>;
};

/** `onProgress` hears about the slow steps of a first start (initdb, migrations) before they begin. */
export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "embeddedPostgres">,
  onProgress?: (line: string) => void,
): Promise<Database> {
  if (config.databaseUrl) {
    const { applied } = await migrateDatabase(config.databaseUrl, onProgress);
    return { url: config.databaseUrl, embedded: false, migrated: applied, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ ...config.embeddedPostgres, onProgress });
  try {
    const { applied } = await migrateDatabase(embedded.url, onProgress);
    return { url: embedded.url, embedded: true, migrated: applied, stop: embedded.stop };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}
