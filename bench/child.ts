// Load generators run in a child process of their own, so the app's event loop measures the app,
// not the client (on 2 cores the client and PostgreSQL share the other one). The child gets one
// request, may send progress messages, and ends with { type: "done" } or { type: "error" }.
import { fork } from "node:child_process";

export type ChildMessage = { type: string; [key: string]: unknown };

/**
 * Forks `module` (a .ts file; tsx's loader is inherited through execArgv), sends it `request` and
 * resolves with its "done" message. Any other message goes to `onMessage`, which may answer through
 * `send`. The child is killed if it has not finished within `timeoutMs`, and always by the end.
 */
export function runChild<Done extends ChildMessage>(
  module: URL,
  request: unknown,
  { timeoutMs, signal, onMessage }: { timeoutMs: number; signal?: AbortSignal; onMessage?: (m: ChildMessage, send: (m: unknown) => void) => void },
): Promise<Done> {
  const child = fork(module, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const send = (m: unknown) => {
    if (child.connected) child.send(m as object);
  };
  return new Promise<Done>((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${module.pathname} did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    function cleanup() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      child.removeAllListeners();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    child.on("message", (raw) => {
      const message = raw as ChildMessage;
      if (message.type === "done") {
        cleanup();
        resolve(message as Done);
      } else if (message.type === "error") {
        fail(new Error(`${module.pathname}: ${String(message.message)}`));
      } else {
        onMessage?.(message, send);
      }
    });
    child.once("error", fail);
    child.once("exit", (code, sig) => fail(new Error(`${module.pathname} exited (${code ?? sig}) before finishing`)));
    send(request);
  });
}

/** The child side: waits for the one request, runs `fn`, reports its result (or error) and exits. */
export function serveChild<Req>(fn: (request: Req, send: (m: ChildMessage) => void, receive: (type: string) => Promise<ChildMessage>) => Promise<ChildMessage>): void {
  const send = (m: ChildMessage) => process.send?.(m);
  const waiting = new Map<string, (m: ChildMessage) => void>();
  const receive = (type: string) => new Promise<ChildMessage>((resolve) => waiting.set(type, resolve));
  let started = false;
  process.on("message", (raw) => {
    const message = raw as ChildMessage;
    if (!started) {
      started = true;
      fn(message as unknown as Req, send, receive).then(
        (result) => process.send?.(result, () => process.disconnect()),
        (error: unknown) => process.send?.({ type: "error", message: error instanceof Error ? error.stack : String(error) }, () => process.exit(1)),
      );
      return;
    }
    const resolve = waiting.get(message.type);
    waiting.delete(message.type);
    resolve?.(message);
  });
  // The parent went away: nothing left to report to.
  process.on("disconnect", () => process.exit(0));
}
