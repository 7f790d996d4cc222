// A TCP proxy in front of a server (PostgreSQL, Redis) that a test can cut off and restore, to
// simulate an outage without stopping the real server, which other processes share.
import net from "node:net";

export type TcpProxy = {
  /** The local port that forwards to the target (127.0.0.1). */
  port: number;
  /**
   * Destroys every open connection. New ones are reset at once (as by a server that is down) or,
   * with `hold`, accepted and left waiting until restore() (as over a network partition).
   */
  cut(mode?: "refuse" | "hold"): void;
  /** Forwards again; connections held while cut go through now. */
  restore(): void;
  /** Connections that arrived while cut (so a test can tell polling from waiting). */
  attemptsWhileCut(): number;
  stop(): Promise<void>;
};

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  const held: net.Socket[] = [];
  let state: "forwarding" | "refusing" | "holding" = "forwarding";
  let attempts = 0;

  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    // A reset from either side is the point of the exercise, not a failure of the proxy.
    socket.on("error", () => socket.destroy());
  };
  const forward = (client: net.Socket) => {
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (state !== "forwarding") attempts += 1;
    if (state === "holding") held.push(client);
    // A reset rather than a closed port, so that attempts can be counted.
    else if (state === "refusing") client.resetAndDestroy();
    else forward(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });

  return {
    port,
    cut(mode = "refuse") {
      state = mode === "hold" ? "holding" : "refusing";
      attempts = 0;
      for (const socket of open) socket.destroy();
    },
    restore() {
      state = "forwarding";
      for (const client of held.splice(0)) if (!client.destroyed) forward(client);
    },
    attemptsWhileCut: () => attempts,
    async stop() {
      state = "refusing";
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
