// GET /metrics: Prometheus's text format, for a scraper that sends `Authorization: Bearer
// <METRICS_TOKEN>`. A token on the API's own port (rather than a second port) keeps one thing to
// expose and to route, and works the same behind a proxy; without METRICS_TOKEN the route does not
// exist (404), so metrics are never public by accident. The token is compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import type http from "node:http";

export const METRICS_PATH = "/metrics";

export type MetricsRouteOptions = {
  /** Unset: /metrics answers 404. */
  token: string | undefined;
  scrape(): Promise<{ contentType: string; body: string }>;
  logError(message: string, error: unknown): void;
};

const digest = (text: string) => createHash("sha256").update(text).digest();

function refuse(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** Handles /metrics and returns true, or returns false for any other path. */
export function createMetricsRoute(options: MetricsRouteOptions) {
  const expected = options.token === undefined ? null : digest(`Bearer ${options.token}`);
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if ((req.url ?? "/").split("?")[0] !== METRICS_PATH) return false;
    if (expected === null) {
      refuse(res, 404, "NOT_FOUND", "Metrics are off: set METRICS_TOKEN to serve them.");
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      refuse(res, 405, "METHOD_NOT_ALLOWED", "Use GET.", { allow: "GET, HEAD" });
      return true;
    }
    // Hashing both sides gives equal lengths, as timingSafeEqual needs, whatever was sent.
    if (!timingSafeEqual(digest(req.headers.authorization ?? ""), expected)) {
      refuse(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <METRICS_TOKEN>.", { "www-authenticate": "Bearer" });
      return true;
    }
    options.scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        options.logError("Collecting metrics failed", error);
        refuse(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
      },
    );
    return true;
  };
}
