// The client a frontend builds once per set of credentials: urql's core over HTTP for queries and
// mutations, its subscription exchange over graphql-ws for live data, both with the same
// credentials. Framework-agnostic: Vue, React or plain TypeScript use it the same way.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";

export type StepstreamClientOptions = {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** An API key or JWT; omit in dev mode (no credentials). */
  token?: string | null;
  /** For Node or tests: a WebSocket implementation (browsers have one). */
  webSocketImpl?: unknown;
  /** Reconnect attempts after the socket drops (default: keep trying). */
  retryAttempts?: number;
};

export type StepstreamClient = {
  /** urql's client: `query`, `mutation`, `subscription` with the typed documents of documents.ts. */
  urql: Client;
  /** The graphql-ws socket client the subscriptions run on. */
  ws: WsClient;
  /** Headers for plain HTTP routes with the same credentials (the log download). */
  headers(): Record<string, string>;
  /** The server's base URL (the endpoint without `/graphql`), for plain HTTP routes. */
  baseUrl: string;
  /**
   * Calls `listener` each time the socket connects again after it was lost. The live helpers use
   * it to resubscribe from where they were, rather than letting graphql-ws repeat the original
   * subscription (with its original cursor).
   */
  onReconnected(listener: () => void): () => void;
  /** Calls `listener` when the socket is lost (live views show "reconnecting"). */
  onDisconnected(listener: () => void): () => void;
  dispose(): Promise<void>;
};

export function createStepstreamClient(options: StepstreamClientOptions): StepstreamClient {
  const authorization = options.token ? `Bearer ${options.token}` : null;
  const headers = (): Record<string, string> => (authorization ? { authorization } : {});
  // The server's CSRF check wants this header on GET requests (urql sends short queries as GET).
  const graphqlHeaders = () => ({ ...headers(), "x-graphql-yoga-csrf": "stepstream-client" });
  const reconnected = new Set<() => void>();
  const disconnected = new Set<() => void>();
  let connections = 0;
  const ws = createWsClient({
    url: options.url.replace(/^http/, "ws"),
    connectionParams: () => (authorization ? { authorization } : {}),
    // Not lazy: the socket is kept (and re-opened) while the client lives, so a live view learns of
    // the reconnect and resubscribes with its latest cursor.
    lazy: false,
    retryAttempts: options.retryAttempts ?? Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    on: {
      connected: () => {
        connections += 1;
        if (connections > 1) for (const listener of reconnected) listener();
      },
      closed: () => {
        if (connections > 0) for (const listener of disconnected) listener();
      },
    },
  });
  const urql = new Client({
    url: options.url,
    // No document cache: lists change under a dashboard all the time; live helpers keep them current.
    requestPolicy: "network-only",
    fetchOptions: () => ({ headers: graphqlHeaders() }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const payload = { ...request, query: request.query ?? "" };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(payload, sink) }) };
        },
      }),
    ],
  });
  const listen = (set: Set<() => void>, listener: () => void) => {
    set.add(listener);
    return () => void set.delete(listener);
  };
  return {
    urql,
    ws,
    headers,
    baseUrl: options.url.replace(/\/graphql\/?$/, ""),
    onReconnected: (listener) => listen(reconnected, listener),
    onDisconnected: (listener) => listen(disconnected, listener),
    dispose: () => ws.dispose() as Promise<void>,
  };
}
