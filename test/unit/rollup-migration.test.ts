// The migration that created the execution rollup backfilled it with the same SQL the benchmark
// and the test kit rebuild it with: REBUILD_ROLLUP_SQL. One changed without the other would leave
// databases migrated before the change counting differently from fresh ones.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REBUILD_ROLLUP_SQL } from "../../src/engine/store/rollup.ts";

const migration = readFileSync(
  new URL("../../prisma/migrations/20261202110000_execution_rollup/migration.sql", import.meta.url),
  "utf8",
);

describe("the execution rollup's migration", () => {
  it("backfills with REBUILD_ROLLUP_SQL", () => {
    expect(migration).toContain(REBUILD_ROLLUP_SQL);
  });
});
