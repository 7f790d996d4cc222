// `npm run schema:print`: writes the printed schema to schema.graphql (committed; a test fails
// when it drifts from the code).
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "./index.ts";

writeFileSync(new URL("../../schema.graphql", import.meta.url), `${printSchema(schema)}\n`);
console.log("Wrote schema.graphql");
