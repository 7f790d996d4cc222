// The request context, built the same way for HTTP and WebSocket requests. Until authentication
// exists every request runs as the default dev tenant; the security work only has to change how
// `viewer` and `tenant` are identified, not what resolvers read.
import type { Db } from "./db/client.ts";
import { createLoaders, type Loaders } from "./services/loaders.ts";

export type Tenant = Readonly<{ id: string; slug: string }>;
export type Viewer = Readonly<{ kind: "dev"; name: string }>;

export type Context = Readonly<{
  db: Db;
  tenant: Tenant;
  viewer: Viewer;
  loaders: Loaders;
}>;

export function createContext(db: Db, tenant: Tenant, viewer: Viewer): Context {
  return { db, tenant, viewer, loaders: createLoaders(db) };
}
