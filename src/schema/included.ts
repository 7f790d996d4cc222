// @skip / @include on a selection, as graphql-js's executor decides them, for code that reads a
// selection set itself (the executions page's plan, the preshaped answer).
import { type FieldNode, getDirectiveValues, GraphQLIncludeDirective, GraphQLSkipDirective, type SelectionNode } from "graphql";

export function isIncluded(node: SelectionNode, variables: Record<string, unknown>): boolean {
  if (!node.directives?.length) return true;
  const n = node as FieldNode;
  if (getDirectiveValues(GraphQLSkipDirective, n, variables)?.["if"] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, n, variables)?.["if"] !== false;
}
