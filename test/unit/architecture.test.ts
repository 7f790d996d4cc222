// Dependencies point one way (see README "Project layout"); a wrong arrow fails here, not in review.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" ? [] : sourceFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** [importing file, imported file], both relative to src/, for every local import. */
const edges = sourceFiles(src).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => [
    path.relative(src, file),
    path.relative(src, path.resolve(path.dirname(file), m[1] as string)),
  ]);
});

const top = (p: string) => p.split(path.sep)[0] as string;

// Which top-level folders (or files) each folder may import from.
const allowed: Record<string, string[]> = {
  engine: ["engine", "errors.ts"],
  db: ["db", "config.ts", "errors.ts"],
  services: ["services", "engine", "read", "db", "errors.ts"],
  // Read models: pages, filters, progress, the dashboard statement. Never schema/ or the engine.
  read: ["read", "db", "errors.ts"],
  // The HTTP edge: GraphQL plugins, and plain routes (the log download) that call the read layer.
  // telemetry: the request line and request metrics are taken at the HTTP edge.
  server: ["server", "read", "db", "auth", "telemetry", "errors.ts", "context.ts", "config.ts"],
  schema: ["schema", "services", "read", "engine", "realtime", "auth", "errors.ts", "context.ts", "generated"],
  auth: ["auth", "db", "config.ts", "errors.ts"],
  realtime: ["realtime", "engine"],
  // The seed plays the worker for its history: the engine runs it, jobs/ queues, services/ retries.
  seed: ["seed", "engine", "db", "config.ts", "jobs", "services"],
  jobs: ["jobs", "engine", "db", "services"],
  // Commands that are neither the server nor a worker (npm run retention): settings, a database, a use case.
  cli: ["cli", "config.ts", "db", "engine", "services", "errors.ts"],
  "context.ts": ["db", "services", "read", "realtime", "auth"],
  // Logger and metrics. Metrics implement the engine's observer interface (engine/observer.ts): the
  // engine only calls it, it never imports a metrics library or this folder.
  telemetry: ["telemetry", "engine"],
  "errors.ts": [],
  "config.ts": [],
};

describe("dependency direction", () => {
  it("found the imports it checks", () => {
    expect(edges.length).toBeGreaterThan(50);
  });

  for (const [from, targets] of Object.entries(allowed)) {
    it(`${from} imports only ${targets.join(", ") || "nothing local"}`, () => {
      const wrong = edges.filter(([a, b]) => top(a as string) === from && !targets.includes(top(b as string)));
      expect(wrong).toEqual([]);
    });
  }

  // The engine is benchmarked and framework-free: metrics and logs are recorded at the edges.
  it("the engine imports no metrics or logging library", () => {
    const importers = sourceFiles(path.join(src, "engine"))
      .filter((file) => /from\s+"(prom-client|pino[^"]*)"/.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(src, file));
    expect(importers).toEqual([]);
  });

  it("the engine runs SQL only in engine/store/", () => {
    const sqlOutsideStore = sourceFiles(path.join(src, "engine"))
      .filter((file) => !path.relative(src, file).startsWith(path.join("engine", "store")))
      .filter((file) => /\.query\(|\$queryRaw|\$executeRaw|\b(SELECT|UPDATE|INSERT INTO|DELETE FROM)\s+"/.test(readFileSync(file, "utf8")));
    expect(sqlOutsideStore.map((f) => path.relative(src, f))).toEqual([]);
  });

  // The engine owns every transition of executions, batches, steps and events, the seed's history
  // included. Deleting a finished run (admin CRUD) is not a transition.
  it("nothing outside the engine's store writes run state", () => {
    const write =
      /\.(execution|batch|step|executionEvent)\.(create|createMany|update|updateMany|upsert)\b|(UPDATE|INSERT INTO)\s+"(Execution|Batch|Step|ExecutionEvent)"/;
    const writers = sourceFiles(src)
      .map((file) => path.relative(src, file))
      .filter((file) => !file.startsWith(path.join("engine", "store")))
      .filter((file) => write.test(readFileSync(path.join(src, file), "utf8")));
    expect(writers).toEqual([]);
  });

  it("the read layer writes nothing", () => {
    const write =
      /\bdb\.\w+\.(create|createMany|update|updateMany|upsert|delete|deleteMany)\b|\b(UPDATE|INSERT INTO|DELETE FROM)\s+"/;
    const writers = sourceFiles(path.join(src, "read")).filter((file) => write.test(readFileSync(file, "utf8")));
    expect(writers.map((f) => path.relative(src, f))).toEqual([]);
  });

  it("nothing but app.ts imports schema/ from outside it", () => {
    const wrong = edges.filter(
      ([a, b]) => top(b as string) === "schema" && top(a as string) !== "schema" && a !== "app.ts",
    );
    expect(wrong).toEqual([]);
  });
});
