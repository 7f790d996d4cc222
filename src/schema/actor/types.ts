// Who did something, derived from credentials, never from an argument: a JWT subject (USER), an
// API key, or the system itself (engine, schedule, retention).
import type { Principal } from "../../auth/principal.ts";
import type { BulkActor } from "../../services/bulk-operations/kinds.ts";
import { builder } from "../builder.ts";

export const ActorKindEnum = builder.enumType("ActorKind", {
  description: "What kind of actor did something.",
  values: {
    USER: { description: "A person, identified by a JWT's subject (or the dev-mode user)." },
    API_KEY: { description: "An API key." },
    SYSTEM: { description: "Stepstream itself: the engine, a schedule, retention." },
  } as const,
});

export type ActorValue = BulkActor;

export const Actor = builder.objectRef<ActorValue>("Actor").implement({
  description: "Who did something.",
  fields: (t) => ({
    kind: t.field({ type: ActorKindEnum, description: "A user, an API key or the system.", resolve: (a) => a.kind }),
    id: t.string({ description: "The JWT subject, the API key's ID, or the system part's name.", resolve: (a) => a.id }),
    name: t.string({ nullable: true, description: "A name to show, when there is one.", resolve: (a) => a.name }),
  }),
});

/** The actor behind a request's credentials. */
export function actorOf(viewer: Principal): ActorValue {
  switch (viewer.kind) {
    case "api-key":
      // authenticate.ts names the key `api-key:<name>` and counts its rate limit as `api-key:<id>`.
      return {
        kind: "API_KEY",
        id: (viewer.rateLimitKey ?? viewer.name).replace(/^api-key:/, ""),
        name: viewer.name.replace(/^api-key:/, ""),
      };
    case "jwt":
      return { kind: "USER", id: viewer.name, name: viewer.name };
    case "dev":
      return { kind: "USER", id: "dev", name: "dev" };
  }
}
