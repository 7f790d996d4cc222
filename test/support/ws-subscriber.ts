// A graphql-ws subscriber with a WebSocket of its own, recording what it receives; and waitUntil,
// for conditions on what subscribers have received. Shared by the fan-out tests.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export type WsSubscriber<T> = {
  data: T[];
  errors: unknown[];
  completed: boolean;
  client: Client;
  /** Disposes of the client (its socket closes; the server releases the subscription). */
  stop(): Promise<void>;
};

/** `url`: the app's http(s) GraphQL URL; `authorization`: sent in connection_init when given. */
export function subscribeOverWs<T, V extends Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  authorization?: string,
): WsSubscriber<T> {
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(authorization ? { connectionParams: { authorization } } : {}),
  });
  const received: WsSubscriber<T> = { data: [], errors: [], completed: false, client, stop: async () => void (await client.dispose()) };
  client.subscribe<T>(
    { query: print(document), variables },
    {
      next: (result) => {
        if (result.errors) received.errors.push(...result.errors);
        if (result.data) received.data.push(result.data as T);
      },
      error: (error) => {
        received.errors.push(error);
        received.completed = true;
      },
      complete: () => (received.completed = true),
    },
  );
  return received;
}

export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
