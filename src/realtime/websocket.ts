// GraphQL over WebSocket (the graphql-transport-ws protocol of graphql-ws) on the HTTP server that
// serves yoga, at the same path. Every operation goes through yoga's envelop pipeline (yoga's
// documented recipe), so the context, error masking and plugins are the same as over HTTP. The
// transport (ws-transport.ts) serializes a shared payload once and writes a socket's messages together.
import type http from "node:http";
import { type ExecutionArgs, GraphQLError } from "graphql";
import type { YogaServerInstance } from "graphql-yoga";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { runAt } from "./timers.ts";
import { openDirectLane } from "./shared-subscriptions.ts";
import { serveGraphQLWs, type TransportExtra } from "./ws-transport.ts";

export type GraphQLWsOptions = {
  path: "/graphql";
  /** Largest message a client may send; ws's own default is 100 MiB (default 256 KiB). */
  maxPayloadBytes?: number;
  /** Operations one socket may run at once; graphql-ws has no limit of its own (default 100). */
  maxSubscriptionsPerSocket?: number;
  /** A socket that has not sent ConnectionInit by then is closed with 4408 (default 3 s). */
  connectionInitTimeoutMs?: number;
  /** Time sockets get to close cleanly on close() before they are cut (default 1 s). */
  closeGraceMs?: number;
  /**
   * Checks ConnectionInit's payload (connectionParams); a rejection closes the socket with 4403.
   * What it returns reaches every operation's context as `connectionAuth`; the socket is closed
   * with 4403 when `expiresAt` passes, which ends its subscriptions.
   */
  authenticate?: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Promise<ConnectionAuth>;
  /**
   * Whether an error `authenticate` threw means "refused" (4403). Anything else (the database is
   * down) closes with 4500 instead, so a client does not take a server fault for bad credentials.
   * Default: every error is a refusal.
   */
  isRefusal?: (error: unknown) => boolean;
  /**
   * Every `recheckMs`, whether the socket's credentials still hold (a revoked API key); false
   * closes the socket with 4403. Resolve true when unsure (e.g. the database is unreachable).
   */
  recheck?: { intervalMs: number; stillValid: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Promise<boolean> };
  /** Where a socket's internal errors are logged (default console.error). */
  logError?: (message: string, error: unknown) => void;
};

export type ConnectionAuth = { readonly expiresAt: Date | null };

/** Close code for refused or expired credentials (graphql-ws uses it for a refused connection too). */
export const CLOSE_FORBIDDEN = 4403;

function recheckEvery(
  socket: WebSocket,
  recheck: NonNullable<GraphQLWsOptions["recheck"]>,
  params: Readonly<Record<string, unknown>> | undefined,
): void {
  const timer = setInterval(() => {
    void recheck.stillValid(params).then((valid) => {
      if (!valid) socket.close(CLOSE_FORBIDDEN, "Credentials revoked");
    });
  }, recheck.intervalMs);
  socket.once("close", () => clearInterval(timer));
}

function closeAt(socket: WebSocket, at: Date): void {
  socket.once("close", runAt(at, () => socket.close(CLOSE_FORBIDDEN, "Token expired")));
}

export type GraphQLWs = {
  /** Open sockets (tests use it to wait for a disconnect to arrive). */
  readonly clientCount: number;
  /** Closes every socket (1001), ending their subscriptions, and detaches from the HTTP server. */
  close(): Promise<void>;
};

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, Record<string, unknown>>["getEnveloped"]>;

export function attachGraphQLWs<TServerContext extends Record<string, unknown>, TUserContext extends Record<string, unknown>>(
  server: http.Server,
  yoga: YogaServerInstance<TServerContext, TUserContext>,
  options: GraphQLWsOptions,
): GraphQLWs {
  const maxSubscriptions = options.maxSubscriptionsPerSocket ?? 100;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 256 * 1024 });
  // Upgrades are taken from the HTTP server here: given `server`, ws re-emits the HTTP server's own
  // errors (a taken port) as its own, which graphql-ws then logs with a stack trace.
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? "/", "http://localhost").pathname !== options.path) {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  };
  server.on("upgrade", onUpgrade);
  // The enveloped execute/subscribe of each operation, found again by its execution args (the
  // recipe's alternative, rootValue, would hand them to every root resolver as its parent).
  const enveloped = new WeakMap<ExecutionArgs, Enveloped>();

  const disposable = serveGraphQLWs(
    {
      // Internal messages never go out in close reasons, whatever NODE_ENV says.
      isProd: true,
      ...(options.logError ? { logError: options.logError } : {}),
      connectionInitWaitTimeout: options.connectionInitTimeoutMs ?? 3_000,
      onConnect: async (ctx) => {
        if (!options.authenticate) return true;
        try {
          const auth = await options.authenticate(ctx.connectionParams);
          (ctx.extra as { auth?: ConnectionAuth }).auth = auth;
          if (auth.expiresAt) closeAt(ctx.extra.socket, auth.expiresAt);
          if (options.recheck) recheckEvery(ctx.extra.socket, options.recheck, ctx.connectionParams);
          return true;
        } catch (error) {
          // false: graphql-ws closes with 4403 Forbidden; the reason never says which check failed.
          // A throw: 4500, its message hidden (isProd).
          if (options.isRefusal?.(error) ?? true) return false;
          throw error;
        }
      },
      execute: (args) => (enveloped.get(args) as Enveloped).execute(args),
      subscribe: (args) => (enveloped.get(args) as Enveloped).subscribe(args),
      onSubscribe: async (ctx, id, payload) => {
        // ctx.subscriptions already holds this operation.
        if (Object.keys(ctx.subscriptions).length > maxSubscriptions) {
          return [
            new GraphQLError(`At most ${maxSubscriptions} operations may run at once on one connection.`, {
              extensions: { code: "TOO_MANY_SUBSCRIPTIONS" },
            }),
          ];
        }
        const env = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionAuth: (ctx.extra as { auth?: ConnectionAuth }).auth,
        }) as unknown as Enveloped;
        let document: ExecutionArgs["document"];
        try {
          document = env.parse(payload.query);
        } catch (error) {
          // A syntax error is the client's, and an error message, not a closed socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = env.validate(env.schema, document);
        if (errors.length > 0) return errors;
        const contextValue = await env.contextFactory();
        // Results of this operation may go straight to the socket's queue (shared-subscriptions.ts).
        openDirectLane(contextValue, (ctx.extra as TransportExtra).directLane(id));
        const args: ExecutionArgs = {
          schema: env.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
        };
        enveloped.set(args, env);
        return args;
      },
    },
    wss,
  );

  let closing: Promise<void> | undefined;
  return {
    get clientCount() {
      return wss.clients.size;
    },
    close() {
      closing ??= (async () => {
        const sockets = [...wss.clients];
        for (const socket of sockets) socket.close(1001, "Server shutting down");
        await Promise.all(sockets.map((socket) => closedWithin(socket, options.closeGraceMs ?? 1_000)));
        await disposable.dispose();
        server.off("upgrade", onUpgrade);
      })();
      return closing;
    },
  };
}

/** Resolves once the socket has closed; cuts it if the peer does not answer the close in time. */
function closedWithin(socket: WebSocket, ms: number): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
