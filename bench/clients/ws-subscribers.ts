// Child process: one graphql-ws client (its own WebSocket) per subscriber, each subscribed to
// executionEvents of one execution from the start. Reports progress every 100 ms (how far the
// slowest subscriber of each execution has got) and, once every subscription has completed (or the
// parent says "finish"), each received event's commit time (`at`) and receive time.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { serveChild } from "../child.ts";

export type WsSubscribersRequest = {
  wsUrl: string;
  /** Global execution IDs, one entry per subscriber. */
  subscribers: string[];
  /** Sockets opened at once while connecting (a burst beyond the listen backlog costs 1 s retransmits). */
  connectBatch: number;
};

export type WsProgress = {
  type: "progress";
  connected: number;
  completed: number;
  errors: number;
  firstError: string | null;
  /** Per execution: the lowest "highest sequence received" over its subscribers. */
  minSequence: Record<string, number>;
  /** CPU this process used so far (user + system), so the parent can take a window's share. */
  cpuMs: number;
};

export type WsSubscribersDone = {
  type: "done";
  /** Parallel arrays, one entry per delivered event: epoch ms of `at` and of receipt. */
  atMs: number[];
  receivedMs: number[];
  sequence: number[];
  executionIndex: number[];
  completed: number;
  errors: number;
  firstError: string | null;
  cpuMs: number;
};

const SUBSCRIPTION = `subscription BenchEvents($id: ID!) {
  executionEvents(executionId: $id, afterSequence: 0) { sequence type at }
}`;

type EventPayload = { data?: { executionEvents?: { sequence: number; at: string } } | null };

const nowMs = () => performance.timeOrigin + performance.now();

serveChild<WsSubscribersRequest>(async (req, send, receive) => {
  const cpu = process.cpuUsage();
  const executions = [...new Set(req.subscribers)];
  const indexOf = new Map(executions.map((id, i) => [id, i]));
  const highest = new Int32Array(req.subscribers.length);
  const done: WsSubscribersDone = { type: "done", atMs: [], receivedMs: [], sequence: [], executionIndex: [], completed: 0, errors: 0, firstError: null, cpuMs: 0 };
  let connected = 0;
  let allCompleted: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allCompleted = resolve));
  const settle = () => {
    if (done.completed + done.errors >= req.subscribers.length) allCompleted();
  };

  const progress = setInterval(() => {
    const minSequence: Record<string, number> = {};
    req.subscribers.forEach((id, i) => {
      minSequence[id] = Math.min(minSequence[id] ?? Number.MAX_SAFE_INTEGER, highest[i] ?? 0);
    });
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const message: WsProgress = { type: "progress", connected, completed: done.completed, errors: done.errors, firstError: done.firstError, minSequence, cpuMs };
    send(message);
  }, 100);

  const clients: ReturnType<typeof createClient>[] = [];
  try {
    for (let from = 0; from < req.subscribers.length; from += req.connectBatch) {
      const batch = req.subscribers.slice(from, from + req.connectBatch);
      await Promise.all(
        batch.map(
          (executionId, j) =>
            new Promise<void>((resolve) => {
              const i = from + j;
              const execution = indexOf.get(executionId) as number;
              const client = createClient({
                url: req.wsUrl,
                webSocketImpl: WebSocket,
                retryAttempts: 0,
                on: { connected: () => ((connected += 1), resolve()), closed: () => resolve(), error: () => resolve() },
              });
              clients.push(client);
              client.subscribe<EventPayload["data"]>(
                { query: SUBSCRIPTION, variables: { id: executionId } },
                {
                  next: (value) => {
                    const receivedMs = nowMs();
                    const event = value.data?.executionEvents;
                    if (!event) return;
                    highest[i] = Math.max(highest[i] ?? 0, event.sequence);
                    done.atMs.push(Date.parse(event.at));
                    done.receivedMs.push(receivedMs);
                    done.sequence.push(event.sequence);
                    done.executionIndex.push(execution);
                  },
                  error: (error) => {
                    done.errors += 1;
                    done.firstError ??= error instanceof Error ? error.message : JSON.stringify(error);
                    settle();
                  },
                  complete: () => {
                    done.completed += 1;
                    settle();
                  },
                },
              );
            }),
        ),
      );
    }
    await Promise.race([finished, receive("finish")]);
  } finally {
    clearInterval(progress);
    await Promise.all(clients.map((c) => c.dispose()));
  }
  const used = process.cpuUsage(cpu);
  done.cpuMs = (used.user + used.system) / 1000;
  return done;
});
