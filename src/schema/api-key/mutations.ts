import { createApiKey, revokeApiKey } from "../../auth/api-keys.ts";
import { builder } from "../builder.ts";
import { RoleEnum } from "../enums.ts";
import { mutationErrors } from "../errors.ts";
import { decodeIdOf } from "../global-id.ts";
import { ApiKey } from "./types.ts";

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  description: "A new API key of the viewer's tenant.",
  fields: (t) => ({
    name: t.string({ required: true, description: "What the key is for; 1 to 200 characters." }),
    role: t.field({ type: RoleEnum, required: true, description: "What the key may do." }),
  }),
});

const RevokeApiKeyInput = builder.inputType("RevokeApiKeyInput", {
  description: "The key to revoke.",
  fields: (t) => ({ id: t.id({ required: true, description: "The key's global ID." }) }),
});

const CreatedApiKey = builder.objectRef<{ apiKey: { id: string }; secret: string }>("CreatedApiKey").implement({
  description: "A new key and its secret, which is shown only this once.",
  fields: (t) => ({
    apiKey: t.prismaField({
      type: ApiKey,
      description: "The key.",
      resolve: (query, created, _args, ctx) => ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: created.apiKey.id } }),
    }),
    secret: t.exposeString("secret", { description: "Send as `Authorization: Bearer <secret>`. Not stored; keep it safe." }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    authScopes: { admin: true },
    type: CreatedApiKey,
    description: "Creates an API key of the viewer's tenant (admin only).",
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: "The key to create." }) },
    errors: {
      types: mutationErrors,
      union: { name: "CreateApiKeyPayload", description: "The key and its secret, or why it was not created." },
      result: { name: "CreateApiKeySuccess", description: "The key was created." },
      dataField: { name: "created", description: "The key and its one-time secret." },
    },
    resolve: (_root, { input }, ctx) => createApiKey(ctx.db, input),
  }),
  revokeApiKey: t.prismaField({
    authScopes: { admin: true },
    type: ApiKey,
    description: "Revokes an API key of the viewer's tenant at once (admin only); revoking twice is harmless.",
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true, description: "The key to revoke." }) },
    errors: {
      types: mutationErrors,
      union: { name: "RevokeApiKeyPayload", description: "The revoked key, or why it was not revoked." },
      result: { name: "RevokeApiKeySuccess", description: "The key is revoked." },
      dataField: { name: "apiKey", description: "The revoked key." },
    },
    resolve: async (query, _root, { input }, ctx) => {
      const revoked = await revokeApiKey(ctx.db, decodeIdOf("ApiKey", String(input.id)));
      return ctx.db.apiKey.findUniqueOrThrow({ ...query, where: { id: revoked.id } });
    },
  }),
}));
