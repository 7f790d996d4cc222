// Who the credentials are: a dashboard shows only the buttons the role may use (cancel and retry
// for an operator, ...) instead of offering actions that answer FORBIDDEN.
import type { Principal } from "../../auth/principal.ts";
import { builder } from "../builder.ts";
import { RoleEnum } from "../enums.ts";

const CredentialKindEnum = builder.enumType("CredentialKind", {
  description: "How a request authenticated: an API key, a JWT, or dev mode (no credentials).",
  values: { API_KEY: { value: "api-key" }, JWT: { value: "jwt" }, DEV: { value: "dev" } } as const,
});

const ViewerRef = builder.objectRef<Principal>("Viewer").implement({
  description: "The caller, as its credentials identify it.",
  fields: (t) => ({
    role: t.field({ type: RoleEnum, description: "What the caller may do.", resolve: (p) => p.role }),
    tenant: t.string({ description: "The slug of the caller's tenant.", resolve: (p) => p.tenant.slug }),
    name: t.string({ description: "The API key's name, the token's subject, or `dev`.", resolve: (p) => p.name }),
    credential: t.field({ type: CredentialKindEnum, description: "How the caller authenticated.", resolve: (p) => p.kind }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    description: "The caller: role, tenant and credential kind.",
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
}));
