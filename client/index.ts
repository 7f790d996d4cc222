// Stepstream's typed client for frontends: typed documents (documents.ts, generated types in
// generated/), the client factory, and the two live helpers a dashboard needs.
export { createStepstreamClient, type StepstreamClient, type StepstreamClientOptions } from "./create-client.ts";
export * from "./documents.ts";
export { applyListChange, watchExecutionList } from "./list-view.ts";
export type { ExecutionListChange, ExecutionListPage, ExecutionListState, ExecutionListWatch, LiveStatus } from "./list-view.ts";
export { watchExecution } from "./execution-page.ts";
export type { ExecutionDetail, ExecutionEventItem, ExecutionPageState, ExecutionPageWatch } from "./execution-page.ts";
// Every generated type (operation results, variables, schema types), as a namespace: their names
// overlap with the documents' (ExecutionListQuery is both a document here and a result type there).
export type * as Types from "./generated/graphql.ts";
export type {
  ExecutionFilter,
  ExecutionOrder,
  ExecutionRowFragment,
  ExecutionStatus,
  LogLevel,
  Role,
  StepDetailFragment,
  StepStatus,
  TriggerSource,
} from "./generated/graphql.ts";
