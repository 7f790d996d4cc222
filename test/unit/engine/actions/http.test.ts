import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpAction, MAX_RESPONSE_BYTES } from "../../../../src/engine/actions/http.ts";
import { invokeAction } from "../../../../src/engine/actions/invoke.ts";
import type { ActionContext, ActionResult } from "../../../../src/engine/actions/types.ts";

type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };

const seen: Seen[] = [];
// Resolvers for tests that wait for the server to notice a client going away.
const closedWaiters = new Map<string, () => void>();

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
  switch (req.url) {
    case "/json":
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "x-trace": "t1" });
      res.end(JSON.stringify({ ok: true, n: 1 }));
      return;
    case "/text":
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("héllo");
      return;
    case "/echo":
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, contentType: req.headers["content-type"] ?? null, body }));
      return;
    case "/empty-json":
      res.writeHead(204, { "content-type": "application/json" });
      res.end();
      return;
    case "/bad-json":
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{nope");
      return;
    case "/missing":
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such thing");
      return;
    case "/broken":
      res.writeHead(500);
      res.end();
      return;
    case "/busy":
      res.writeHead(429);
      res.end();
      return;
    case "/huge": {
      // Chunked, no content-length: the cap must be enforced while streaming.
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(64 * 1024);
      for (let sent = 0; sent <= MAX_RESPONSE_BYTES; sent += chunk.length) res.write(chunk);
      res.end();
      return;
    }
    case "/huge-declared":
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(MAX_RESPONSE_BYTES + 1) });
      res.end("x".repeat(MAX_RESPONSE_BYTES + 1));
      return;
    default:
      // /hang/<name>: never answers; reports when the client closes the connection.
      // /hang-body/<name>: sends headers and part of the body, then stalls.
      if (req.url?.startsWith("/hang-body/")) {
        const name = req.url.slice("/hang-body/".length);
        res.on("close", () => closedWaiters.get(name)?.());
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("partial");
        return;
      }
      if (req.url?.startsWith("/hang/")) {
        const name = req.url.slice("/hang/".length);
        res.on("close", () => closedWaiters.get(name)?.());
        return;
      }
      res.writeHead(400);
      res.end();
  }
}

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => {
    body += chunk;
  });
  req.on("end", () => route(req, res, body));
});
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

function context(signal: AbortSignal = new AbortController().signal): ActionContext {
  return {
    signal,
    log: () => {},
    execution: { id: "exec_1", workflowName: "wf", attempt: 1 },
    step: { key: "call", attempt: 1 },
    services: { fetch, sendEmail: () => Promise.reject(new Error("unused")), now: () => Date.now() },
  };
}

const call = (input: Record<string, unknown>, signal?: AbortSignal): Promise<ActionResult> =>
  invokeAction(httpAction, { ...input, url: `${base}${String(input.url)}` }, context(signal));

function closed(name: string): Promise<void> {
  return new Promise((resolve) => closedWaiters.set(name, resolve));
}

describe("http action", () => {
  it("parses a JSON response and returns status and plain headers", async () => {
    const result = await call({ url: "/json" });
    expect(result).toMatchObject({
      status: "completed",
      output: { status: 200, body: { ok: true, n: 1 }, headers: { "x-trace": "t1" } },
    });
    expect(seen.at(-1)?.method).toBe("GET");
  });

  it("returns other content types as text", async () => {
    expect(await call({ url: "/text" })).toMatchObject({ status: "completed", output: { status: 200, body: "héllo" } });
  });

  it("JSON-encodes object bodies and sends strings as they are", async () => {
    const json = await call({ url: "/echo", method: "POST", body: { a: [1, 2] }, headers: { "x-k": "v" } });
    expect(json).toMatchObject({
      output: { status: 201, body: { method: "POST", contentType: "application/json", body: '{"a":[1,2]}' } },
    });
    expect(seen.at(-1)?.headers["x-k"]).toBe("v");
    const text = await call({ url: "/echo", method: "PUT", body: "raw", headers: { "Content-Type": "text/csv" } });
    expect(text).toMatchObject({ output: { body: { method: "PUT", contentType: "text/csv", body: "raw" } } });
  });

  it("treats an empty JSON response as null and invalid JSON as a failure", async () => {
    const empty = await call({ url: "/empty-json" });
    expect(empty).toMatchObject({ status: "completed", output: { status: 204, body: null } });
    expect(await call({ url: "/bad-json" })).toMatchObject({ status: "failed", error: { code: "HTTP_INVALID_JSON" } });
  });

  it("fails a 404 without retry, with the body in the message", async () => {
    const result = await call({ url: "/missing" });
    expect(result).toMatchObject({ status: "failed", error: { code: "HTTP_404", retryable: false } });
    expect(result.status === "failed" && result.error.message).toContain("no such thing");
  });

  it("fails 5xx and 429 as retryable", async () => {
    expect(await call({ url: "/broken" })).toMatchObject({ error: { code: "HTTP_500", retryable: true } });
    expect(await call({ url: "/busy" })).toMatchObject({ error: { code: "HTTP_429", retryable: true } });
  });

  it("times out a slow response as retryable and closes the connection", async () => {
    const gone = closed("slow");
    const result = await call({ url: "/hang/slow", timeoutMs: 50 });
    expect(result).toMatchObject({ status: "failed", error: { code: "TIMEOUT", retryable: true } });
    await gone;
  });

  it("stops an in-flight request at once when the signal aborts", async () => {
    const controller = new AbortController();
    const gone = closed("abort");
    const started = performance.now();
    setTimeout(() => controller.abort(), 20);
    const result = await call({ url: "/hang/abort", timeoutMs: 60_000 }, controller.signal);
    expect(result).toMatchObject({ status: "failed", error: { code: "CANCELLED", retryable: false } });
    expect(performance.now() - started).toBeLessThan(2_000);
    await gone; // the server saw the client go away, so nothing keeps running
  });

  it("stops reading a stalled body when the timeout or the signal fires", async () => {
    const timedOut = closed("body-timeout");
    expect(await call({ url: "/hang-body/body-timeout", timeoutMs: 50 })).toMatchObject({ error: { code: "TIMEOUT" } });
    await timedOut;
    const controller = new AbortController();
    const cancelled = closed("body-abort");
    setTimeout(() => controller.abort(), 20);
    const result = await call({ url: "/hang-body/body-abort", timeoutMs: 60_000 }, controller.signal);
    expect(result).toMatchObject({ error: { code: "CANCELLED", retryable: false } });
    await cancelled;
  });

  it("fails a body over 1 MiB", async () => {
    for (const url of ["/huge", "/huge-declared"]) {
      const result = await call({ url });
      expect(result).toMatchObject({ status: "failed", error: { code: "RESPONSE_TOO_LARGE", retryable: false } });
    }
  });

  it("reports a refused connection as a retryable network error", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await invokeAction(httpAction, { url: `http://127.0.0.1:${port}/` }, context());
    expect(result).toMatchObject({ status: "failed", error: { code: "HTTP_NETWORK_ERROR", retryable: true } });
    expect(result.status === "failed" && result.error.message).toContain("ECONNREFUSED");
  });

  it("rejects invalid input", async () => {
    const cases = [
      { url: "ftp://example.com/file" },
      { url: "not a url" },
      { url: "http://example.com", method: "TRACE" },
      { url: "http://example.com", body: { a: 1 } },
      { url: "http://example.com", timeoutMs: 0 },
      { url: "http://example.com", timeoutMs: 300_001 },
      { url: "http://example.com", headers: { n: 1 } },
    ];
    for (const input of cases) {
      const result = await invokeAction(httpAction, input, context());
      expect(result, JSON.stringify(input)).toMatchObject({ status: "failed", error: { code: "INVALID_INPUT" } });
    }
  });
});
