// The real app on a free port over a test database of its own; requests go through real HTTP.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { type App, type AppOptions, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { silentLogger } from "./logs.ts";

export type GraphQLResponse<T> = {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
};

export type Requester = {
  /** The whole response: HTTP status, data and errors. */
  request<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<GraphQLResponse<T> & { status: number }>;
  query<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<T>;
};

export type TestApp = {
  url: string;
  database: TestDatabase;
  app: App;
  /** SQL statements the app has run; clear with `statements.length = 0`. */
  statements: string[];
  /** Runs a typed operation; returns the whole response (data and errors). */
  request<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<GraphQLResponse<T>>;
  /** Like request, but fails on any GraphQL error. */
  query<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<T>;
  /** Requests sent with `Authorization: <authorization>` (omitted when undefined). */
  as(authorization: string | undefined): Requester;
  stop(): Promise<void>;
};


/** `env` adds settings (e.g. RUN_WORKER=false when a separate worker process runs the jobs). */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<AppOptions, "actions" | "log" | "dashboardDir"> = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const statements: string[] = [];
  const app = await createApp(loadConfig({ NODE_ENV: "test", DATABASE_URL: database.url, ...env }), {
    log: silentLogger(),
    onQuery: (sql) => statements.push(sql),
    ...options,
  });
  const { url } = await app.start(0, "127.0.0.1");
  const as = (authorization: string | undefined): Requester => {
    const request = async <T, V>(document: TypedDocumentNode<T, V>, variables?: V) => {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json",
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify({ query: print(document), variables }),
      });
      return { ...((await res.json()) as GraphQLResponse<T>), status: res.status };
    };
    return {
      request,
      async query(document, variables) {
        const result = await request(document, variables);
        if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
        return result.data;
      },
    };
  };
  // Without the status, as before: many tests compare whole responses.
  const request = async <T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<GraphQLResponse<T>> => {
    const { status: _status, ...response } = await as(undefined).request(document, variables);
    return response;
  };
  return {
    url,
    database,
    app,
    statements,
    request,
    query: as(undefined).query,
    as,
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
}
