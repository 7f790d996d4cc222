// The process's logger: pino, JSON lines in production (one object per line, for a log shipper)
// and readable lines in development (pino-pretty, in-process: no worker thread to stop). Nothing
// that authenticates ever reaches a line: credential-shaped fields are redacted by path, and
// API keys, JWTs and bearer tokens inside messages and error texts are masked by pattern, since a
// driver or a library may quote what it was given.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export type LogSettings = {
  level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  format: "json" | "pretty";
};

/** Field paths whose values never appear (pino's fast-redact; `*` is one level). */
export const REDACTED_PATHS = [
  "authorization",
  "apiKey",
  "secret",
  "token",
  "password",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  "*.authorization",
  "*.Authorization",
  "*.apiKey",
  "*.secret",
  "*.token",
  "*.password",
  "connectionParams",
];

// ssk_ API keys, compact JWTs (three base64url parts, the first a JSON header) and `Bearer x`,
// and the password of a URL's userinfo (postgres://user:secret@host).
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bssk_[A-Za-z0-9_-]{8,}/g, "ssk_[redacted]"],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, "[redacted JWT]"],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"],
  [/(\w+:\/\/[^:/\s@]+):[^@\s/]+@/g, "$1:[redacted]@"],
];

/** `text` with every credential-shaped substring masked. */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) masked = masked.replace(pattern, replacement);
  return masked;
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskSecrets(value);
  // Errors are left whole for their serializer (which masks them): copying one loses its message.
  if (depth > 6 || value === null || typeof value !== "object" || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  // Only plain objects are copied: a Date or a Buffer keeps its own serialization.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = maskDeep(v, depth + 1);
  return out;
}

export function loggerOptions(settings: LogSettings): LoggerOptions {
  return {
    level: settings.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // Every string field too: an error's data or a SQL text may quote a credential.
    formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
    serializers: {
      // pino's own, which appends the messages and stacks of `cause`s: an error's cause once.
      // (Its result has a prototype of its own: copied to a plain object to be masked.)
      err: (error: Error) => maskDeep({ ...pino.stdSerializers.err(error) }),
    },
    hooks: {
      // Messages (and printf arguments) are masked too: a URL or a header may be quoted in one.
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === "string" ? maskSecrets(arg) : arg)) as Parameters<typeof method>;
        return method.apply(this, masked);
      },
    },
  };
}

const ONE_LINE_FIELDS = ["method", "path", "status", "operation", "type", "durationMs", "aborted", "sql"];

function oneLine(line: Record<string, unknown>, messageKey: string): string {
  const msg = line[messageKey];
  if (msg === "request") {
    const operation = line["operation"] && line["operation"] !== "-" ? ` ${String(line["operation"])} (${String(line["type"])})` : "";
    const aborted = line["aborted"] ? " (aborted)" : "";
    return `${String(line["method"])} ${String(line["path"])} ${String(line["status"])}${operation} ${String(line["durationMs"])} ms${aborted}`;
  }
  if (msg === "sql") return `[sql ${String(line["durationMs"])} ms] ${String(line["sql"])}`;
  return String(msg ?? "");
}

/** The process's logger; `destination` replaces stdout (tests collect lines with `collectingDestination`). */
export function createLogger(settings: LogSettings, destination?: DestinationStream): Logger {
  const stream =
    destination ??
    (settings.format === "pretty"
      ? pretty({
          colorize: process.stdout.isTTY,
          translateTime: "SYS:HH:MM:ss.l",
          // Request and SQL lines stay one line each: their fields go into the message.
          ignore: `pid,hostname,${ONE_LINE_FIELDS.join(",")}`,
          messageFormat: oneLine,
          sync: true,
        })
      : pino.destination(1));
  return pino(loggerOptions(settings), stream);
}
