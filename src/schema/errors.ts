// The typed errors mutation payloads carry. Each maps one AppError class; `code` is stable so
// clients can switch on it.
import { type AppError, ForbiddenError, InvalidStateError, NotFoundError, ValidationError } from "../errors.ts";
import { builder } from "./builder.ts";

const ErrorInterface = builder.interfaceRef<AppError>("Error").implement({
  description: "A problem a client can act on.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "Human-readable explanation." }),
    code: t.exposeString("code", { description: "Stable machine-readable code, e.g. NOT_FOUND." }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The object does not exist, or is not visible to the viewer.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    resource: t.exposeString("resource", { description: "The kind of object that was looked up." }),
  }),
});

const FieldIssue = builder.objectRef<{ path: string[]; message: string }>("FieldIssue").implement({
  description: "One problem with one input field.",
  fields: (t) => ({
    path: t.exposeStringList("path", {
      description: 'Path into the input, e.g. ["definition","steps","2","dependsOn","0"].',
    }),
    message: t.exposeString("message", { description: "What is wrong there." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input was rejected; nothing was written.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [FieldIssue], description: "Every problem found.", resolve: (e) => e.issues }),
  }),
});

builder.objectType(InvalidStateError, {
  name: "InvalidStateError",
  description: "The object is in a state that does not allow this, e.g. cancelling a finished run.",
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "The viewer may not do this.",
  interfaces: [ErrorInterface],
  fields: () => ({}),
});

/** The errors every mutation can return. */
export const mutationErrors = [NotFoundError, ValidationError, InvalidStateError, ForbiddenError];
