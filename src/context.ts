// The request context, built the same way for HTTP and WebSocket requests from the principal the
// credentials identified (auth/authenticate.ts). `db` is scoped to the principal's tenant: every
// model query a resolver or service runs through it is filtered to that tenant (db/tenant-scope.ts).
import type { Principal, Tenant } from "./auth/principal.ts";
import type { Query } from "./db/query.ts";
import type { TenantDb } from "./db/tenant-scope.ts";
import type { ListFeeds } from "./read/list-changes/feed.ts";
import type { EventBus } from "./realtime/event-bus.ts";
import type { Fanout } from "./realtime/fanout.ts";
import type { BulkOperationServices } from "./services/bulk-operations/start.ts";
import type { Actor, ExecutionServices } from "./services/executions.ts";
import { createLoaders, type Loaders } from "./services/loaders.ts";
import type { WorkflowServices } from "./services/workflows.ts";

export type { Principal, Tenant };

export type Context = Readonly<{
  db: TenantDb;
  /**
   * Statements on the read pool (read/), not scoped: each read names its tenant, `db.$tenantId`.
   */
  sql: Query;
  tenant: Tenant;
  viewer: Principal;
  /** The peer's address; what rate limits count against when there are no credentials. */
  clientAddress: string | null;
  loaders: Loaders;
  /** Who is acting, from the credentials only: recorded as startedBy, cancelledBy, createdBy. */
  actor: Actor;
  executions: ExecutionServices;
  workflows: WorkflowServices;
  bulkOperations: BulkOperationServices;
  /** Committed engine events, for subscriptions. */
  events: EventBus;
  /** The shared change-log feeds behind executionListChanges. */
  listChanges: ListFeeds;
  /** Reads and resolutions that subscribers of the same thing share (one per event, not per subscriber). */
  fanout: Fanout;
  /**
   * How a long-lived response (an SSE subscription) checks that its credentials still hold; null
   * where something else does (a WebSocket is rechecked per socket) or nothing can change (dev).
   */
  recheck: CredentialRecheck | null;
}>;

export type CredentialRecheck = Readonly<{ intervalMs: number; stillValid: () => Promise<boolean> }>;

export type ContextServices = Readonly<{
  scoped: (tenantId: string) => TenantDb;
  sql: Query;
  executions: Omit<ExecutionServices, "db">;
  workflows: Omit<WorkflowServices, "db">;
  bulkOperations: Omit<BulkOperationServices, "db">;
  events: EventBus;
  listChanges: ListFeeds;
  fanout: Fanout;
}>;

export function createContext(
  services: ContextServices,
  viewer: Principal,
  clientAddress: string | null,
  recheck: CredentialRecheck | null = null,
): Context {
  const db = services.scoped(viewer.tenant.id);
  return {
    db,
    sql: services.sql,
    tenant: viewer.tenant,
    viewer,
    clientAddress,
    loaders: createLoaders(db),
    actor: viewer.actor,
    executions: { ...services.executions, db },
    workflows: { ...services.workflows, db },
    bulkOperations: { ...services.bulkOperations, db },
    events: services.events,
    listChanges: services.listChanges,
    fanout: services.fanout,
    recheck,
  };
}
