// The request context, built the same way for HTTP and WebSocket requests. Until authentication
// exists every request runs as the default dev tenant; the security work only has to change how
// `viewer` and `tenant` are identified, not what resolvers read.
import type { Db } from "./db/client.ts";
import type { EventBus } from "./realtime/event-bus.ts";
import type { Actor, ExecutionServices } from "./services/executions.ts";
import { createLoaders, type Loaders } from "./services/loaders.ts";

export type Tenant = Readonly<{ id: string; slug: string }>;
export type Viewer = Readonly<{ kind: "dev"; name: string }>;

export type Context = Readonly<{
  db: Db;
  tenant: Tenant;
  viewer: Viewer;
  loaders: Loaders;
  /** Who is acting, for writes (cancelledBy, ...). */
  actor: Actor;
  executions: ExecutionServices;
  /** Committed engine events, for subscriptions. */
  events: EventBus;
}>;

export function createContext(executions: ExecutionServices, events: EventBus, tenant: Tenant, viewer: Viewer): Context {
  const db = executions.db;
  return {
    db,
    tenant,
    viewer,
    loaders: createLoaders(db),
    actor: { tenantId: tenant.id, name: viewer.name },
    executions,
    events,
  };
}
