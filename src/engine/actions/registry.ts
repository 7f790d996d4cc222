// Maps a step's `type` to its action. A registry is a value, not a module-level singleton, so each
// app (and each test) builds its own; `builtInActions` is what a normal app passes in.

import { delayAction } from "./delay.ts";
import { emailAction } from "./email.ts";
import { failAction } from "./fail.ts";
import { httpAction } from "./http.ts";
import { logAction } from "./log.ts";
import { setContextAction } from "./set-context.ts";
import { transformAction } from "./transform.ts";
import type { ActionHandler } from "./types.ts";

export type ActionRegistry = {
  /** Throws if the type is taken: silently replacing an action would change what saved workflows do. */
  register(handler: ActionHandler): void;
  get(type: string): ActionHandler | undefined;
  has(type: string): boolean;
  /** Registered types, in registration order. */
  types(): string[];
};

export const builtInActions: readonly ActionHandler[] = [
  httpAction,
  delayAction,
  logAction,
  transformAction,
  failAction,
  emailAction,
  setContextAction,
];

/** Starts empty unless handlers are given: createActionRegistry(builtInActions) for the usual set. */
export function createActionRegistry(handlers: readonly ActionHandler[] = []): ActionRegistry {
  const byType = new Map<string, ActionHandler>();
  const registry: ActionRegistry = {
    register(handler) {
      if (byType.has(handler.type)) {
        throw new Error(`action type ${JSON.stringify(handler.type)} is already registered`);
      }
      byType.set(handler.type, handler);
    },
    get: (type) => byType.get(type),
    has: (type) => byType.has(type),
    types: () => [...byType.keys()],
  };
  for (const handler of handlers) registry.register(handler);
  return registry;
}
