// Named connection types shared by every field that lists the same kind of node, each with
// totalCount. A connection's totalCount may be a number, a promise or a lazy function (plugin-prisma
// and our own keyset pages both only count when the field is selected).
import type { ObjectRef } from "@pothos/core";
import { builder } from "./builder.ts";

type TotalCount = number | Promise<number> | (() => number | Promise<number>) | undefined;

export function connectionWithTotalCount<Node>(name: string, type: ObjectRef<typeof builder.$inferSchemaTypes, Node>) {
  return builder.connectionObject(
    {
      type,
      name: `${name}Connection`,
      description: `A page of ${name} objects (Relay cursor connection).`,
      fields: (t) => ({
        totalCount: t.int({
          description: "How many objects match, across all pages.",
          resolve: async (connection) => {
            const total = (connection as { totalCount?: TotalCount }).totalCount;
            const value = typeof total === "function" ? await total() : await total;
            if (value === undefined) throw new Error(`${name}Connection.totalCount was not planned`);
            return value;
          },
        }),
      }),
    },
    { name: `${name}Edge`, description: `An ${name} and its cursor.` },
  );
}
