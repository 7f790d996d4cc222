// Errors a client can act on. They carry a stable `code` and are returned as data in mutation
// payloads (schema/errors.ts maps them to GraphQL types). Anything that is not an AppError is
// masked by yoga as "Unexpected error." and logged with its cause. No graphql import here: the
// engine and services throw these too.

export type ErrorCode =
  | "NOT_FOUND"
  | "VALIDATION_FAILED"
  | "INVALID_STATE"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "CURSOR_EXPIRED"
  | "UNAUTHENTICATED";

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
}

export class NotFoundError extends AppError {
  readonly code = "NOT_FOUND";
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} was not found`);
    this.name = "NotFoundError";
  }
}

export type FieldIssue = { path: string[]; message: string };

export class ValidationError extends AppError {
  readonly code = "VALIDATION_FAILED";
  constructor(readonly issues: FieldIssue[]) {
    super(
      issues.length === 1 && issues[0]
        ? `Validation failed at ${issues[0].path.join(".") || "(root)"}: ${issues[0].message}`
        : `Validation failed with ${issues.length} problems`,
    );
    this.name = "ValidationError";
  }
}

export class InvalidStateError extends AppError {
  readonly code = "INVALID_STATE";
  constructor(message: string) {
    super(message);
    this.name = "InvalidStateError";
  }
}

export class ForbiddenError extends AppError {
  readonly code = "FORBIDDEN";
  constructor(message = "You are not allowed to do this") {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** Malformed arguments outside mutation inputs (cursors, IDs, page sizes): surfaced as GraphQL errors. */
export class BadUserInputError extends AppError {
  readonly code = "BAD_USER_INPUT";
  constructor(message: string) {
    super(message);
    this.name = "BadUserInputError";
  }
}

/** A changes cursor older than the change log keeps: the client must read its list again. */
export class CursorExpiredError extends AppError {
  readonly code = "CURSOR_EXPIRED";
  constructor(message: string) {
    super(message);
    this.name = "CursorExpiredError";
  }
}

/** No credentials, or credentials that are invalid, revoked or expired. */
export class UnauthenticatedError extends AppError {
  readonly code = "UNAUTHENTICATED";
  constructor(message = "Invalid credentials") {
    super(message);
    this.name = "UnauthenticatedError";
  }
}
