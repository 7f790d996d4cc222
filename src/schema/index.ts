// The schema: every domain file registers its types on the builder; this module imports them in
// one place and builds the GraphQL schema.
import { builder } from "./builder.ts";
import "./errors.ts";
import "./workflow/types.ts";
import "./workflow/queries.ts";
import "./workflow/mutations.ts";
import "./workflow/version.ts";
import "./execution/types.ts";
import "./execution/queries.ts";
import "./execution/mutations.ts";
import "./trigger/mutations.ts";
import "./template/types.ts";
import "./template/queries.ts";
import "./template/mutations.ts";
import "./execution/pause-mutations.ts";
import "./step/types.ts";
import "./step/queries.ts";
import "./batch/types.ts";
import "./event/types.ts";
import "./log/types.ts";
import "./stats/types.ts";
import "./stats/queries.ts";
import "./api-key/types.ts";
import "./api-key/queries.ts";
import "./api-key/mutations.ts";
import "./viewer/queries.ts";
import "./actor/types.ts";
import "./bulk-operation/types.ts";
import "./bulk-operation/queries.ts";
import "./bulk-operation/mutations.ts";
import "./subscription/index.ts";

export const schema = builder.toSchema({ sortSchema: true });
