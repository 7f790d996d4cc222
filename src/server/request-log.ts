// One log line and one metric sample per HTTP request, taken where the request ends (the HTTP
// server's `close`), so GraphQL, the log download and the health routes are treated alike. The
// GraphQL operation's name and type are noted by a yoga plugin on the Node request they belong
// to. The path is logged without its query string (a GET may carry a whole operation, and
// nothing authenticating is ever logged); headers are not logged at all.
import type http from "node:http";
import { getOperationAST, type DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";

type Operation = { operation: string; type: string };

const operations = new WeakMap<http.IncomingMessage, Operation>();

// Before parsing, the first operation of the text is a good guess (a request may fail to parse).
const FIRST_OPERATION = /\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** Routes a load balancer or Prometheus calls every few seconds: logged at debug level only. */
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

function noted(document: DocumentNode, operationName: string | null | undefined): Operation {
  const ast = getOperationAST(document, operationName);
  return { operation: ast?.name?.value ?? operationName ?? "anonymous", type: ast?.operation ?? "-" };
}

/**
 * Notes each HTTP request's operation for the request line, and counts subscriptions (open ones,
 * and every payload sent to a subscriber) over SSE and WebSocket alike.
 */
export function requestObserverPlugin(metrics: Metrics | null): Plugin<{ req?: http.IncomingMessage }> {
  return {
    onParams({ params, context }) {
      const req = (context as { req?: http.IncomingMessage }).req;
      if (!req) return;
      const guess = typeof params.query === "string" ? FIRST_OPERATION.exec(params.query) : null;
      operations.set(req, { operation: params.operationName ?? guess?.[2] ?? "anonymous", type: guess?.[1] ?? "-" });
    },
    onExecute({ args }) {
      const context = args.contextValue as { req?: http.IncomingMessage; socket?: unknown };
      const operation = noted(args.document, args.operationName);
      // Over WebSocket there is no HTTP response to time: the execution is the request.
      if (context.socket !== undefined) {
        if (!metrics) return;
        const started = performance.now();
        return { onExecuteDone: () => metrics.request({ ...operation, status: "ws", durationMs: performance.now() - started }) };
      }
      if (context.req) operations.set(context.req, operation);
    },
    onSubscribe({ args }) {
      const req = (args.contextValue as { req?: http.IncomingMessage }).req;
      if (req) operations.set(req, noted(args.document, args.operationName));
      if (!metrics) return;
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return;
          metrics.subscriptions(1);
          return {
            onNext: () => metrics.delivered(),
            onEnd: () => metrics.subscriptions(-1),
          };
        },
      };
    },
  };
}

/** Call first for every HTTP request: logs its line and records its duration when it ends. */
export function observeRequests(log: Logger, metrics: Metrics | null) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now();
    res.once("close", () => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const path = (req.url ?? "/").split("?")[0] as string;
      const { operation, type } = operations.get(req) ?? { operation: "-", type: "-" };
      const status = res.statusCode;
      const line = { method: req.method, path, status, operation, type, durationMs, ...(res.writableFinished ? {} : { aborted: true }) };
      if (QUIET_PATHS.has(path)) log.debug(line, "request");
      else log.info(line, "request");
      // A subscription's response lasts as long as the subscription: active_subscriptions counts those.
      if (metrics && type !== "subscription") metrics.request({ operation, type, status, durationMs });
    });
  };
}
