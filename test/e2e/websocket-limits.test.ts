// The WebSocket limits come from the environment (README "Security").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "../support/app.ts";

function connect(app: TestApp) {
  const socket = new WebSocket(app.url.replace(/^http/, "ws"), "graphql-transport-ws");
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return { socket, closed, opened };
}

describe("WebSocket limits", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ WS_MAX_MESSAGE_BYTES: "2048", WS_INIT_TIMEOUT_MS: "200" });
  });
  afterAll(() => app.stop());

  it("closes a socket that sends a message over WS_MAX_MESSAGE_BYTES with 1009", async () => {
    const { socket, closed, opened } = connect(app);
    await opened;
    socket.send(JSON.stringify({ type: "connection_init", payload: { pad: "x".repeat(4096) } }));
    expect(await closed).toBe(1009);
  });

  it("closes a socket that never sends connection_init within WS_INIT_TIMEOUT_MS with 4408", async () => {
    const { closed, opened } = connect(app);
    await opened;
    expect(await closed).toBe(4408);
  });
});
