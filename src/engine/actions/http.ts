// Calls an HTTP endpoint through services.fetch. Every way it can end is a value: a completed step
// with { status, headers, body }, or a failure whose code says what happened and whether retrying
// could help. One deadline (timeoutMs) covers the request and reading the body.

import { z } from "zod";
import { type ActionResult, cancelled, defineAction, failed } from "./types.ts";

export const MAX_RESPONSE_BYTES = 1024 * 1024;
const ERROR_SNIPPET_CHARS = 300;

const input = z
  .strictObject({
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    timeoutMs: z.int().min(1).max(300_000).default(30_000),
  })
  // fetch throws on these at run time; saying so as INVALID_INPUT names the real problem.
  .refine((v) => v.body === undefined || (v.method !== "GET" && v.method !== "HEAD"), {
    path: ["body"],
    message: "GET and HEAD requests cannot have a body",
  });

type HttpInput = z.output<typeof input>;

export const httpAction = defineAction({
  type: "http",
  input,
  async run(request, ctx) {
    const shown = loggableUrl(request.url);
    ctx.log("INFO", `${request.method} ${shown}`, { method: request.method, url: shown });
    const started = ctx.services.now();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    // Cancellation wins over a timeout that fired in the same instant: the run is going away.
    const aborted = (): ActionResult | undefined => {
      if (ctx.signal.aborted) return cancelled("the HTTP request was cancelled");
      if (timeout.signal.aborted) {
        return failed("TIMEOUT", `${request.method} ${shown} timed out after ${request.timeoutMs} ms`, true);
      }
      return undefined;
    };
    try {
      let response: Response;
      try {
        response = await ctx.services.fetch(request.url, { method: request.method, signal, ...encodeBody(request) });
      } catch (error) {
        return aborted() ?? failed("HTTP_NETWORK_ERROR", `${request.method} ${shown}: ${describe(error)}`, true);
      }
      const durationMs = ctx.services.now() - started;
      const line = `${response.status} ${response.statusText} from ${request.method} ${shown} in ${durationMs} ms`.replace("  ", " ");
      ctx.log(response.status < 400 ? "INFO" : "WARN", line, { status: response.status, durationMs });
      try {
        return await toResult(request, shown, response);
      } catch (error) {
        return aborted() ?? failed("HTTP_NETWORK_ERROR", `reading the response failed: ${describe(error)}`, true);
      }
    } finally {
      clearTimeout(timer);
    }
  },
});

function encodeBody(request: HttpInput): { headers: Headers; body?: string } {
  const headers = new Headers(request.headers);
  if (request.body === undefined) return { headers };
  if (typeof request.body === "string") return { headers, body: request.body };
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return { headers, body: JSON.stringify(request.body) };
}

async function toResult(request: HttpInput, shown: string, response: Response): Promise<ActionResult> {
  const text = await readCapped(response);
  if (!response.ok) {
    const { status } = response;
    // The status is the failure; an oversized error page only loses its snippet.
    const snippet = text && text.length > ERROR_SNIPPET_CHARS ? `${text.slice(0, ERROR_SNIPPET_CHARS)}…` : text;
    const retryable = status === 408 || status === 429 || status >= 500;
    const message = `${request.method} ${shown} returned ${status} ${response.statusText}`.trim();
    return failed(`HTTP_${status}`, snippet ? `${message}: ${snippet}` : message, retryable);
  }
  if (text === undefined) {
    return failed("RESPONSE_TOO_LARGE", `the response body is larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
  let body: unknown = text;
  if (isJson(response.headers.get("content-type"))) {
    try {
      // An empty JSON response (204, HEAD) is "no value", not a parse error.
      body = text === "" ? null : JSON.parse(text);
    } catch {
      return failed("HTTP_INVALID_JSON", `${request.method} ${shown} sent invalid JSON`);
    }
  }
  const headers = Object.fromEntries(response.headers);
  return { status: "completed", output: { status: response.status, headers, body } };
}

// Query parameters whose values are credentials more often than not.
const SECRET_PARAM = /token|key|secret|pass|auth|sig|credential|session|code/i;

/**
 * The URL as logs and error messages show it: no userinfo, and the values of credential-looking
 * query parameters (`?api_key=`, `?token=`, `?signature=`) masked. Log entries are read by every
 * viewer of the tenant and downloaded as files.
 */
export function loggableUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "(invalid URL)";
  }
  url.username = "";
  url.password = "";
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, "[redacted]");
  }
  // URLSearchParams encodes the brackets; the mask reads better as typed.
  return url.toString().replaceAll("%5Bredacted%5D", "[redacted]");
}

/** The body as text, or undefined once it passes MAX_RESPONSE_BYTES (the rest is never downloaded). */
async function readCapped(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return undefined;
    }
    // stream: true keeps a multi-byte character split across chunks intact.
    text += decoder.decode(value, { stream: true });
  }
}

// application/json, application/problem+json, ... with or without parameters.
function isJson(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

// undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
