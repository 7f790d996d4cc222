// GET /executions/{executionId}/logs?format=text|json[&level=ERROR,WARN][&stepId=<Step ID>]:
// an execution's log as a file, with the same credentials as /graphql. Streamed page by page with
// backpressure (a page is read only once the previous one is written), so memory stays flat
// however long the log. 404 for an unknown or another tenant's execution (the same answer).
import type http from "node:http";
import type { Principal } from "../auth/principal.ts";
import { isConnectionError } from "../db/connection-errors.ts";
import type { Query } from "../db/query.ts";
import { AppError, UnauthenticatedError } from "../errors.ts";
import { type ExportedLogEntry, executionExists, LOG_LEVELS, type LogLevel, logPages } from "../read/log-export.ts";

export const LOG_DOWNLOAD_ROUTE = /^\/executions\/([^/]+)\/logs\/?$/;

export type LogDownloadOptions = {
  authenticate(authorization: string | undefined): Promise<Principal>;
  query: Query;
  /** Global ID → database id; throws a BadUserInputError for a malformed or wrong-type ID. */
  decodeId(typename: "Execution" | "Step", globalId: string): string;
  encodeId(typename: "Step", id: string): string;
  logError(message: string, error: unknown): void;
};

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** Writes `chunk`, waiting for the socket to drain when its buffer is full. */
function write(res: http.ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      res.off("drain", done);
      res.off("close", closed);
      if (error) reject(error);
      else resolve();
    };
    const closed = () => done(new Error("client went away"));
    res.once("drain", done);
    res.once("close", closed);
  });
}

function textLine(entry: ExportedLogEntry): string {
  const step = entry.stepKey ? ` [${entry.stepKey}]` : "";
  const data = entry.data === null || entry.data === undefined ? "" : ` ${JSON.stringify(entry.data)}`;
  // One entry per line: a message's own line breaks are escaped.
  return `${entry.at.toISOString()} ${entry.level.padEnd(5)}${step} ${entry.message.replace(/\r?\n/g, "\\n")}${data}\n`;
}

function parseLevels(raw: string | null): LogLevel[] | undefined {
  if (raw === null) return undefined;
  const levels = raw.split(",").map((l) => l.trim().toUpperCase());
  const unknown = levels.filter((l) => !LOG_LEVELS.includes(l as LogLevel));
  if (unknown.length > 0) throw new RequestError(400, "BAD_USER_INPUT", `Unknown level(s): ${unknown.join(", ")}; use ${LOG_LEVELS.join(", ")}`);
  return levels as LogLevel[];
}

/** The handler, or null for a request that is not a log download (it then goes to yoga). */
export function createLogDownload(options: LogDownloadOptions) {
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = LOG_DOWNLOAD_ROUTE.exec(url.pathname);
    if (!match) return false;
    void serve(req, res, url, decodeURIComponent(match[1] as string)).catch((error: unknown) => {
      if (res.headersSent) {
        // Mid-download: the client must not mistake a cut file for a whole one.
        res.destroy();
        if (!isConnectionError(error) && !(error instanceof Error && error.message === "client went away")) {
          options.logError("Log download failed", error);
        }
        return;
      }
      if (error instanceof RequestError) return sendError(res, error.status, error.code, error.message);
      if (error instanceof UnauthenticatedError) {
        return sendError(res, 401, error.code, error.message, { "www-authenticate": "Bearer" });
      }
      if (error instanceof AppError) return sendError(res, 400, error.code, error.message);
      if (isConnectionError(error)) return sendError(res, 503, "SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly.");
      options.logError("Log download failed", error);
      sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
    });
    return true;
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL, executionGlobalId: string) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new RequestError(405, "METHOD_NOT_ALLOWED", "Use GET to download an execution's log");
    }
    const principal = await options.authenticate(req.headers.authorization);
    const format = url.searchParams.get("format") ?? "text";
    if (format !== "text" && format !== "json") throw new RequestError(400, "BAD_USER_INPUT", 'format must be "text" or "json"');
    const levels = parseLevels(url.searchParams.get("level"));
    const stepGlobalId = url.searchParams.get("stepId");
    const stepId = stepGlobalId ? options.decodeId("Step", stepGlobalId) : undefined;
    const executionId = options.decodeId("Execution", executionGlobalId);
    const tenantId = principal.tenant.id;
    if (!(await executionExists(options.query, tenantId, executionId))) {
      throw new RequestError(404, "NOT_FOUND", `Execution ${executionGlobalId} not found`);
    }
    res.writeHead(200, {
      "content-type": format === "json" ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="execution-${executionGlobalId}-logs.${format === "json" ? "json" : "txt"}"`,
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") return void res.end();
    let first = true;
    if (format === "json") await write(res, "[");
    for await (const page of logPages(options.query, tenantId, executionId, { levels, stepId })) {
      let chunk = "";
      for (const entry of page) {
        if (format === "text") chunk += textLine(entry);
        else {
          const { stepId: step, stepKey, id: _id, ...rest } = entry;
          chunk += `${first ? "\n" : ",\n"}${JSON.stringify({ ...rest, step: step ? { id: options.encodeId("Step", step), key: stepKey } : null })}`;
          first = false;
        }
      }
      await write(res, chunk);
    }
    if (format === "json") await write(res, first ? "]\n" : "\n]\n");
    res.end();
  }
}
