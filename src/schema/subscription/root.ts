import { builder } from "../builder.ts";

builder.subscriptionType({
  description:
    "Live updates, over graphql-ws (WebSocket) or server-sent events (any role). Every subscription is scoped to the viewer's tenant.",
  authScopes: { viewer: true },
});
