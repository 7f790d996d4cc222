// The Subscription type. Each field subscribes to the event bus (ctx.events) before it reads the
// database, so nothing committed in between is missed. Served over graphql-ws and SSE alike.
import "./root.ts";
import "./execution-events.ts";
import "./execution-updated.ts";
import "./executions-changed.ts";
import "./execution-list-changes.ts";
import "./step-completed.ts";
import "./bulk-operation-updated.ts";
