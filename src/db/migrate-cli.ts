// `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database.
import { loadConfig } from "../config.ts";
import { openDatabase } from "./database.ts";

const database = await openDatabase(loadConfig(process.env), console.log);
console.log(
  database.migrated.length > 0
    ? `Applied ${database.migrated.length} migration(s): ${database.migrated.join(", ")}`
    : "The database is up to date.",
);
await database.stop();
