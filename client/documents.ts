// The typed documents a dashboard runs: an execution list (with its live changes), one execution
// (with its live events and logs), statistics, workflows, and the mutations an operator uses.
// graphql-codegen turns each into a TypedDocumentNode in client/generated/ (`npm run codegen`).
import { graphql } from "./generated/gql.ts";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer { role tenant name credential }
  }
`);

export const ExecutionRowFragment = graphql(`
  fragment ExecutionRow on Execution {
    id
    status
    createdAt
    startedAt
    completedAt
    durationMs
    triggerSource
    triggerEvent
    attempt
    workflow { id name }
    progress { totalSteps completedSteps failedSteps skippedSteps percent }
    error { message code }
  }
`);

export const ExecutionListQuery = graphql(`
  query ExecutionList($filter: ExecutionFilter, $first: Int, $after: String, $last: Int, $before: String, $orderBy: ExecutionOrder) {
    executions(filter: $filter, first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
      totalCount
      changesCursor
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { ...ExecutionRow } }
    }
  }
`);

export const ExecutionListChangesSubscription = graphql(`
  subscription ExecutionListChanges($filter: ExecutionFilter, $after: String) {
    executionListChanges(filter: $filter, after: $after) {
      kind
      cursor
      execution { ...ExecutionRow }
    }
  }
`);

export const StepDetailFragment = graphql(`
  fragment StepDetail on Step {
    id
    key
    name
    type
    index
    status
    critical
    attempt
    branchTaken
    input
    output
    error
    errorCode
    startedAt
    completedAt
    durationMs
  }
`);

export const ExecutionPageQuery = graphql(`
  query ExecutionPage($id: ID!) {
    execution(id: $id) {
      ...ExecutionRow
      workflowVersion
      input
      output
      nextRetryAt
      idempotencyKey
      externalId
      context
      cancelReason
      startedBy { kind id name }
      cancelledBy { kind id name }
      definition { id version createdAt createdBy { kind id name } }
      error { message code stepId }
      retryOf { id status }
      # Batches and steps side by side rather than nested: nested connections multiply the
      # operation's worst-case cost (100 batches x 100 steps) past the server's limit.
      batches(first: 100) { edges { node { id index status startedAt completedAt durationMs } } }
      steps(first: 100) { edges { node { ...StepDetail batch { id } } } }
    }
  }
`);

export const ExecutionEventsSubscription = graphql(`
  subscription ExecutionEvents($executionId: ID!, $afterSequence: Int) {
    executionEvents(executionId: $executionId, afterSequence: $afterSequence) {
      id
      sequence
      type
      at
      executionStatus
      data
      step { id key }
      batch { id index }
    }
  }
`);

export const ExecutionLogsQuery = graphql(`
  query ExecutionLogs($id: ID!, $filter: LogFilter, $first: Int, $after: String) {
    execution(id: $id) {
      id
      logs(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id at level message data step { id key } } }
      }
    }
  }
`);

export const CancelExecutionMutation = graphql(`
  mutation CancelExecution($input: CancelExecutionInput!) {
    cancelExecution(input: $input) {
      __typename
      ... on CancelExecutionSuccess { execution { ...ExecutionRow } }
      ... on Error { code message }
    }
  }
`);

export const RetryExecutionMutation = graphql(`
  mutation RetryExecution($input: RetryExecutionInput!) {
    retryExecution(input: $input) {
      __typename
      ... on RetryExecutionSuccess { execution { ...ExecutionRow } }
      ... on Error { code message }
    }
  }
`);

export const PauseExecutionMutation = graphql(`
  mutation PauseExecution($input: PauseExecutionInput!) {
    pauseExecution(input: $input) {
      __typename
      ... on PauseExecutionSuccess { execution { ...ExecutionRow } }
      ... on Error { code message }
    }
  }
`);

export const ResumeExecutionMutation = graphql(`
  mutation ResumeExecution($input: ResumeExecutionInput!) {
    resumeExecution(input: $input) {
      __typename
      ... on ResumeExecutionSuccess { execution { ...ExecutionRow } }
      ... on Error { code message }
    }
  }
`);

export const StartExecutionMutation = graphql(`
  mutation StartExecution($input: StartExecutionInput!) {
    startExecution(input: $input) {
      __typename
      ... on StartExecutionSuccess { execution { ...ExecutionRow } }
      ... on ValidationError { issues { path message } }
      ... on Error { code message }
    }
  }
`);

export const WorkflowListQuery = graphql(`
  query WorkflowList($first: Int, $after: String, $search: String) {
    workflows(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name description version isActive updatedAt } }
    }
  }
`);

export const WorkflowDetailQuery = graphql(`
  query WorkflowDetail($id: ID!) {
    workflow(id: $id) {
      id
      name
      description
      version
      isActive
      createdAt
      updatedAt
      definition
      triggerEvent
      schedule
      nextRunAt
      lastExecutedAt
      # Newest first; 100 is the page limit, plenty for a history a person reads.
      versions(first: 100) {
        totalCount
        edges { node { id version definition createdAt createdBy { kind id name } } }
      }
    }
  }
`);

export const StatsQuery = graphql(`
  query Stats($filter: StatsFilter, $days: Int, $orderBy: WorkflowStatsOrder) {
    executionStats(filter: $filter) {
      total
      successRate
      avgDurationMs
      p50DurationMs
      p95DurationMs
      byStatus { status count avgDurationMs }
      daily(days: $days) { date total completed failed cancelled }
      failingSteps(limit: 10) { type key total failed failureRate avgDurationMs p95DurationMs }
    }
    workflowStats(filter: $filter, first: 100, orderBy: $orderBy) {
      edges { node { workflow { id name } total completed failed failureRate successRate avgDurationMs p95DurationMs } }
    }
  }
`);
