// Loggers for tests: silent, or keeping every line as its parsed JSON object.
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/telemetry/logger.ts";

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

export function silentLogger(): Logger {
  return createLogger({ level: "silent", format: "json" }, new Writable({ write: (_c, _e, done) => done() }));
}

/** A JSON logger whose lines land in `lines` as they are written (pino writes synchronously here). */
export function recordingLogger(
  level: "debug" | "info" | "warn" | "error" = "info",
  onLine?: (line: LogLine) => void,
): { log: Logger; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        raw.push(line);
        const parsed = JSON.parse(line) as LogLine;
        lines.push(parsed);
        onLine?.(parsed);
      }
      done();
    },
  });
  return { log: createLogger({ level, format: "json" }, stream), lines, text: () => raw.join("\n") };
}

/** A line as one string: its message, then its error's message (for tests that match text). */
export function lineText(line: LogLine): string {
  const err = line["err"] as { message?: string } | undefined;
  return [line.msg ?? "", err?.message ?? ""].join(" ").trim();
}
