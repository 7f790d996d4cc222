// API keys as admins see them: never the secret (it is shown once, by createApiKey), only what
// tells keys apart. Only admins may read or manage them.
import { builder } from "../builder.ts";
import { connectionWithTotalCount } from "../connection.ts";
import { RoleEnum } from "../enums.ts";
import { encodeGlobalId } from "../global-id.ts";

export const ApiKey = builder.prismaObject("ApiKey", {
  description: "A credential for `Authorization: Bearer <key>`, bound to one tenant and one role.",
  authScopes: { admin: true },
  select: { id: true },
  fields: (t) => ({
    id: t.id({ description: "Global, opaque ID.", resolve: (key) => encodeGlobalId("ApiKey", key.id) }),
    name: t.exposeString("name", { description: "What the key is for." }),
    role: t.expose("role", { type: RoleEnum, description: "What the key may do." }),
    prefix: t.exposeString("prefix", { description: "The key's first characters, to recognise it." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When it was revoked; null while active." }),
  }),
});

export const ApiKeyConnection = connectionWithTotalCount("ApiKey", ApiKey);
