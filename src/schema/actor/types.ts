// Actor: who started, cancelled or saved something, as stored with it (engine/events.ts). An API
// key's id is its global ApiKey ID here, the one `apiKeys` lists, so a client can tell which key;
// ExecutionFilter.startedBy takes the same string (actorIdFilter decodes it back).
import { ActorKind } from "@prisma/client";
import type { Actor as ActorValue } from "../../engine/events.ts";
import { builder } from "../builder.ts";
import { decodeIdOf, encodeGlobalId } from "../global-id.ts";

export const ActorKindEnum = builder.enumType(ActorKind, {
  name: "ActorKind",
  description: "USER: a JWT subject (or dev mode's admin, `dev`); API_KEY: an API key; SYSTEM: Stepstream itself.",
});

export const Actor = builder.objectRef<ActorValue>("Actor").implement({
  description: "Who did something, from the credentials they used (never from an argument).",
  fields: (t) => ({
    kind: t.field({ type: ActorKindEnum, description: "What kind of actor.", resolve: (a) => a.kind }),
    id: t.string({
      description:
        "USER: the token's subject (`dev` in dev mode); API_KEY: the key's global ID (as in `apiKeys`); " +
        "SYSTEM: which part (`schedule`, `retry`). What ExecutionFilter.startedBy takes.",
      resolve: (a) => (a.kind === "API_KEY" && isUuid(a.id) ? encodeGlobalId("ApiKey", a.id) : a.id),
    }),
    name: t.string({
      nullable: true,
      description: "A readable name: the subject, the key's name, or the part of Stepstream.",
      resolve: (a) => a.name,
    }),
  }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (id: string) => UUID.test(id);

/** The stored actor id an Actor.id names: an API key's global ID decoded, anything else as given. */
export function actorIdFilter(id: string): string {
  try {
    return decodeIdOf("ApiKey", id);
  } catch {
    return id;
  }
}

/** An actor from three stored columns; null when the kind is (an optional actor not recorded). */
export function actorOf(kind: ActorValue["kind"] | null, id: string | null, name: string | null): ActorValue | null {
  return kind && id !== null ? { kind, id, name } : null;
}
