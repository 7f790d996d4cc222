// The Pothos builder: plugins and scalars only; types live in the domain folders.
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { hasRole } from "../auth/principal.ts";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Context } from "../context.ts";
import { BadUserInputError, ForbiddenError } from "../errors.ts";
import type PrismaTypes from "../generated/pothos-prisma-types.ts";
import { getDatamodel } from "../generated/pothos-prisma-types.ts";
import { decodeGlobalId, encodeGlobalId } from "./global-id.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  // Roles, each including the ones before it (see auth/principal.ts).
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean };
  // Fields are non-null unless marked nullable, as in the contract.
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  // Order matters: errors wraps scope-auth, so a mutation a role may not run returns a typed
  // ForbiddenError in its payload; both wrap resolvers before prisma plans its queries.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  scopeAuth: {
    // Checked when a subscription starts, not when its first event arrives.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      viewer: hasRole(ctx.viewer, "VIEWER"),
      operator: hasRole(ctx.viewer, "OPERATOR"),
      admin: hasRole(ctx.viewer, "ADMIN"),
    }),
    unauthorizedError: () => new ForbiddenError(),
  },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: false, description: "The objects of this page, each with its cursor." },
    nodeFieldOptions: { nullable: false, description: "The object." },
    cursorFieldOptions: { description: "Opaque cursor of this object, for after/before." },
    pageInfoFieldOptions: { description: "Where this page sits in the connection." },
    hasNextPageFieldOptions: { description: "Whether more objects follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether objects precede this page." },
    startCursorFieldOptions: { description: "Cursor of the first object of the page." },
    endCursorFieldOptions: { description: "Cursor of the last object of the page." },
    firstArgOptions: { description: "Page size from the start or after the cursor (default 20, at most 100)." },
    lastArgOptions: { description: "Page size from the end or before the cursor (at most 100)." },
    afterArgOptions: { description: "Return objects after this cursor." },
    beforeArgOptions: { description: "Return objects before this cursor." },
    idFieldOptions: { description: "Global, opaque ID." },
    nodeQueryOptions: { description: "Any object by its global ID; null when it does not exist." },
    nodesQueryOptions: { description: "Objects by global IDs, in order; null where one does not exist." },
    encodeGlobalID: encodeGlobalId,
    // Pothos looks the decoded type name up without a guard: a name that is not an object type
    // would be a schema error (masked as INTERNAL_SERVER_ERROR) instead of the client's mistake.
    decodeGlobalID: (globalId: string) => {
      const decoded = decodeGlobalId(globalId);
      const store = builder.configStore;
      if (!store.hasImplementation(decoded.typename) || store.getTypeConfig(decoded.typename).graphqlKind !== "Object") {
        throw new BadUserInputError(`Invalid ID: ${JSON.stringify(globalId)}`);
      }
      return decoded;
    },
    nodeTypeOptions: { description: "An object with a global, opaque ID (Relay Global Object Identification)." },
    pageInfoTypeOptions: { description: "Where a page sits in its connection." },
  },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    // A planned relation that a resolver did not use is a bug that costs queries: fail loudly.
    onUnusedQuery: "error",
  },
  errors: {
    // Only AppErrors become typed payload errors; anything else stays an exception and is masked.
    defaultTypes: [],
  },
});

builder.addScalarType("DateTime", DateTimeResolver, {
  description: "An ISO-8601 date-time with time zone, e.g. 2026-11-22T10:15:30.000Z.",
});
builder.addScalarType("JSON", JSONResolver, { description: "Any JSON value." });

builder.queryType({
  description: "Reads (any role). Every result is scoped to the viewer's tenant.",
  authScopes: { viewer: true },
});
builder.mutationType({ description: "Writes. Each payload is the result or a typed error (FORBIDDEN when the role may not)." });
