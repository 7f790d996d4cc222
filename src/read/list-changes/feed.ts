// Live list changes: one shared read of the change log per tenant per tick, fanned out to every
// subscriber of that tenant in memory, whatever its filter.
//
// - The feed of a tenant polls when the tenant's bus notifications say something committed (and
//   every few seconds while it has subscribers, in case a notification was lost, e.g. Redis was
//   away). A poll reads the rows its head snapshot does not see and takes the statement's own
//   snapshot as the new head: each committed row is in exactly one poll.
// - A subscriber starts at its cursor and catches up with reads of its own (paged) until it
//   stands exactly at the feed's head, then joins the feed and is served from its polls. It
//   catches up to a head read after it subscribed, so a cursor from another process (a list read
//   elsewhere) is never ahead of what it catches up to.
// - A subscriber that stops reading is taken off the feed once its queue is full, and catches up
//   again from what it last consumed when it reads again: memory stays bounded, nothing is lost.
// - Progress-only changes are throttled per subscriber and execution (a trailing update carries
//   the last progress); a held-back update travels in the cursor, so a reconnect delivers it.
// - A deletion is a change after which the run matches no filter: LEFT wherever it was listed.
import { decodeCursor, encodeCursor, type Position } from "./cursor.ts";
import { type ChangeRow, type Query, readChanges, snapshotNow } from "./changes-sql.ts";
import { createMatcher, type ListFilter, type RunFacts } from "./match.ts";
import { parseSnapshot, type Snapshot } from "./snapshot.ts";

export type ListChangeKind = "ENTERED" | "UPDATED" | "LEFT";

export type ListChange = {
  kind: ListChangeKind;
  executionId: string;
  cursor(): string;
  /**
   * What every subscriber of the same poll reads alike (the payload for one selection), loaded once:
   * all of them are the same tenant, and a read made after the poll is as fresh as the change.
   */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
  /**
   * Like shared, for a read of every execution of the poll at once (`load` gets their IDs, and
   * returns what it found by ID): a viewer's next change then needs no read of its own, so its
   * changes of one poll go out together.
   */
  sharedByRun<T>(key: string, load: (executionIds: readonly string[]) => Promise<ReadonlyMap<string, T>>): Promise<T | undefined>;
};

export type ListStream = {
  next(): Promise<IteratorResult<ListChange, undefined>>;
  return(): Promise<IteratorReturnResult<undefined>>;
  /** What the last change stands for: subscribers given changes with the same cause may share their resolution. */
  cause(): string | null;
  [Symbol.asyncIterator](): ListStream;
};

export type ListFeedsOptions = {
  query: Query;
  /** Calls `notify` whenever executions of the tenant may have changed; returns a function that stops it. */
  watch(tenantId: string, notify: () => void): () => void;
  /** How long the change log keeps rows: older cursors are refused. */
  retentionMs: number;
  /** At most one progress-only update per execution and subscriber this often (default 250 ms). */
  progressIntervalMs?: number;
  /** Poll this often even without notifications while anyone listens (default 5 s). */
  fallbackPollMs?: number;
  /** Changes a subscriber may have waiting before it is taken off the feed (default 1,000). */
  maxQueue?: number;
  /** Rows per catch-up read (default 1,000). */
  pageSize?: number;
  onError?: (message: string, error: unknown) => void;
};

export type ListFeeds = {
  /** Throws BAD_USER_INPUT / CURSOR_EXPIRED at once for a cursor it cannot resume from. */
  subscribe(tenantId: string, filter: ListFilter, after: string | null): ListStream;
  /** Feeds and subscribers open, and polls run so far (tests and benchmarks). */
  stats(): { feeds: number; subscribers: number; polls: number; catchUpReads: number; takenOff: number };
  close(): void;
};

/**
 * Reads shared by the changes of one poll; `id` names it in the changes' causes, `runs` are the
 * executions its rows are of (read together: see ListChange.sharedByRun).
 */
type Memo = { id: number; reads: Map<string, Promise<unknown>>; runs: ReadonlySet<string> };

let memos = 0;
const newMemo = (runs: readonly string[] = []): Memo => ({ id: ++memos, reads: new Map(), runs: new Set(runs) });

type Batch = {
  /** Shared by the changes this batch gives every subscriber. */
  memo: Memo;
  /** When it was read: the time its progress throttling goes by, the same for every subscriber it reaches. */
  readAt: number;
  base: Snapshot;
  /** Expiry time of positions inside the batch (the base's). */
  baseAt: number;
  target: Snapshot;
  targetAt: number;
  rows: ChangeRow[];
  /** Every row between base and target was read (the position after it is plain). */
  complete: boolean;
  /** When not complete: the id of the last row read. */
  lastId: bigint | null;
};

type Item = { kind: ListChangeKind; executionId: string; position: Position; pendingVersion: number; memo: Memo };

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };
const RETRY_POLL_MS = 1_000;

export function createListFeeds(options: ListFeedsOptions): ListFeeds {
  const progressMs = options.progressIntervalMs ?? 250;
  const fallbackMs = options.fallbackPollMs ?? 5_000;
  const maxQueue = options.maxQueue ?? 1_000;
  const pageSize = options.pageSize ?? 1_000;
  const onError = options.onError ?? ((message, error) => console.error(message, error));
  const feeds = new Map<string, TenantFeed>();
  const counters = { polls: 0, catchUpReads: 0, takenOff: 0 };

  class TenantFeed {
    head: Position | null = null;
    /** The memo of the latest poll: for changes given outside a batch (trailing progress updates). */
    memo: Memo = newMemo();
    readonly members = new Set<Member>();
    /** Every subscriber of this feed, caught up or not. */
    readonly subscribers = new Set<Member>();
    private polling = false;
    private dirty = false;
    private started = 0;
    private waiters: { minGeneration: number; resolve: (head: Position) => void; reject: (e: unknown) => void }[] = [];
    private readonly stopWatching: () => void;
    private readonly fallback: NodeJS.Timeout;
    private retry: NodeJS.Timeout | undefined;
    private closed = false;

    constructor(readonly tenantId: string) {
      this.stopWatching = options.watch(tenantId, () => this.requestPoll());
      this.fallback = setInterval(() => this.requestPoll(), fallbackMs);
    }

    requestPoll(): void {
      if (this.closed) return;
      if (this.polling) this.dirty = true;
      else void this.poll();
    }

    /** The head after a poll that started after this call: later than anything the caller was given before. */
    freshHead(): Promise<Position> {
      return new Promise((resolve, reject) => {
        this.waiters.push({ minGeneration: this.started + 1, resolve, reject });
        this.requestPoll();
      });
    }

    private async poll(): Promise<void> {
      this.polling = true;
      this.dirty = false;
      const generation = ++this.started;
      counters.polls++;
      try {
        const head = this.head;
        if (!head) {
          const now = await snapshotNow(options.query);
          this.head = plainPosition(now.snapshot, now.nowMs);
        } else {
          const read = await readChanges(options.query, {
            tenantId: this.tenantId,
            base: head.snapshot.text,
            target: null,
            afterId: 0n,
            limit: 1_000_000,
          });
          if (this.closed) return;
          const target = snapshotOf(read.snapshot);
          this.memo = newMemo(read.rows.map((row) => row.executionId));
          const batch: Batch = {
            memo: this.memo,
            readAt: Date.now(),
            base: head.snapshot,
            baseAt: head.at,
            target,
            targetAt: read.nowMs,
            rows: read.rows,
            complete: true,
            lastId: read.lastId,
          };
          for (const member of [...this.members]) member.apply(batch);
          this.head = { snapshot: target, at: read.nowMs, within: null, pending: [] };
        }
        const ready = this.waiters.filter((w) => w.minGeneration <= generation);
        this.waiters = this.waiters.filter((w) => w.minGeneration > generation);
        for (const w of ready) w.resolve(this.head as Position);
      } catch (error) {
        if (this.closed) return;
        onError("Reading the executions' change log failed", error);
        const failed = this.waiters.filter((w) => w.minGeneration <= generation);
        this.waiters = this.waiters.filter((w) => w.minGeneration > generation);
        for (const w of failed) w.reject(error);
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.requestPoll(), RETRY_POLL_MS);
      } finally {
        this.polling = false;
        if (this.dirty) this.requestPoll();
      }
    }

    release(member: Member): void {
      this.subscribers.delete(member);
      if (this.subscribers.size > 0) return;
      this.close();
      feeds.delete(this.tenantId);
    }

    close(): void {
      if (this.closed) return;
      this.closed = true;
      this.stopWatching();
      clearInterval(this.fallback);
      clearTimeout(this.retry);
      for (const member of [...this.subscribers]) void member.return();
      for (const w of this.waiters.splice(0)) w.reject(new Error("The list feed was closed"));
    }
  }

  class Member implements ListStream {
    private queue: Item[] = [];
    private waiter: ((result: IteratorResult<ListChange, undefined>) => void) | undefined;
    private mode: "starting" | "catching" | "live" = "starting";
    private ended = false;
    /** After the last queued item. */
    private position: Position;
    /** After the last item handed to the client: where a subscriber taken off the feed resumes. */
    private consumed: Position;
    private flushPending = true;
    private readonly fromNow: boolean;
    private readonly matches: (run: RunFacts) => boolean;
    private readonly lastSent = new Map<string, number>();
    private readonly pending = new Map<string, number>();
    private pendingVersion = 0;
    private timer: NodeJS.Timeout | undefined;
    /** The batch being applied; undefined outside one (then the feed's latest poll's). */
    private memo: Memo | undefined;
    /** The time of the batch being applied. */
    private clock: number | undefined;
    /** What the change last handed out stands for (see cause()). */
    private lastCause: string | null = null;

    constructor(
      private readonly feed: TenantFeed,
      filter: ListFilter,
      start: Position | null,
    ) {
      this.matches = createMatcher(filter);
      // Without a cursor the subscriber starts at the first head read after it subscribed.
      this.position = start ?? { snapshot: EMPTY, at: 0, within: null, pending: [] };
      this.consumed = this.position;
      this.fromNow = start === null;
      feed.subscribers.add(this);
    }

    async next(): Promise<IteratorResult<ListChange, undefined>> {
      for (;;) {
        const item = this.queue.shift();
        if (item) return { value: this.hand(item), done: false };
        if (this.ended) return DONE;
        if (this.mode === "live") {
          return new Promise((resolve) => {
            this.waiter = resolve;
          });
        }
        await this.advance();
      }
    }

    /** One step towards the feed's head: the first fresh head, a catch-up read, or joining. */
    private async advance(): Promise<void> {
      if (this.mode === "starting") {
        // A feed closed under it (the server stopping) ends it quietly.
        const head = await this.feed.freshHead().catch((error: unknown) => {
          if (this.ended) return null;
          throw error;
        });
        if (this.ended || !head) return;
        if (this.fromNow) this.position = head;
        this.mode = "catching";
      }
      if (this.flushPending) {
        this.flushPending = false;
        const ids = [...this.position.pending];
        for (const [n, executionId] of ids.entries()) {
          this.position = { ...this.position, pending: ids.slice(n + 1) };
          this.push("UPDATED", executionId);
        }
        if (ids.length > 0) return;
      }
      const head = this.feed.head as Position;
      const { within } = this.position;
      if (!within && this.position.snapshot.text === head.snapshot.text) {
        this.mode = "live";
        this.feed.members.add(this);
        return;
      }
      const base = within ? within.base : this.position.snapshot;
      const target = within ? this.position.snapshot : head.snapshot;
      counters.catchUpReads++;
      const read = await readChanges(options.query, {
        tenantId: this.feed.tenantId,
        base: base.text,
        target: target.text,
        afterId: within ? within.lastId : 0n,
        limit: pageSize,
      });
      if (this.ended) return;
      const targetAt = within ? this.position.at : head.at;
      const complete = read.pageRows < pageSize;
      // The latest poll's memo: its reads are newer than any row up to the head, so catching-up
      // subscribers share them too instead of reading each payload again.
      const memo = this.feed.memo;
      const batch = {
        memo,
        readAt: Date.now(),
        base,
        baseAt: this.position.at,
        target,
        targetAt,
        rows: read.rows,
        complete,
        lastId: read.lastId,
      };
      this.apply(batch);
    }

    /** Turns a batch of change rows into this subscriber's changes, in row order. */
    apply(batch: Batch): void {
      if (this.ended) return;
      this.memo = batch.memo;
      this.clock = batch.readAt;
      const first = this.queue.length;
      for (const row of batch.rows) {
        this.position = {
          snapshot: batch.target,
          at: batch.baseAt,
          within: { base: batch.base, lastId: row.id },
          pending: [...this.pending.keys()],
        };
        const before =
          row.previousStatus !== null &&
          this.matches({ ...row, status: row.previousStatus, errorMessage: row.previousErrorMessage });
        // A deleted run matches no list after its deletion.
        const after = !row.deletion && this.matches(row);
        if (!before && after) this.deliver("ENTERED", row.executionId);
        else if (before && !after) this.deliver("LEFT", row.executionId);
        else if (before && after) {
          const progressOnly = row.previousStatus === row.status && row.previousErrorMessage === row.errorMessage;
          if (progressOnly) this.deliverProgress(row.executionId);
          else this.deliver("UPDATED", row.executionId);
        }
      }
      const pending = [...this.pending.keys()];
      this.position =
        batch.complete || batch.lastId === null
          ? { snapshot: batch.target, at: batch.targetAt, within: null, pending }
          : { snapshot: batch.target, at: batch.baseAt, within: { base: batch.base, lastId: batch.lastId }, pending };
      // The batch's last change may stand for the whole batch: a shorter cursor, same meaning.
      const tail = this.queue.at(-1);
      if (this.queue.length > first && tail && tail.pendingVersion === this.pendingVersion) tail.position = this.position;
      this.memo = undefined;
      this.clock = undefined;
      if (this.mode === "live" && this.queue.length > maxQueue) this.takeOffFeed();
    }

    private deliver(kind: ListChangeKind, executionId: string): void {
      if (this.pending.delete(executionId)) {
        this.pendingVersion++;
        this.position = { ...this.position, pending: [...this.pending.keys()] };
      }
      if (kind === "LEFT") this.lastSent.delete(executionId);
      else this.lastSent.set(executionId, this.now());
      this.push(kind, executionId);
    }

    private deliverProgress(executionId: string): void {
      const now = this.now();
      const last = this.lastSent.get(executionId);
      if (last === undefined || now - last >= progressMs) {
        this.lastSent.set(executionId, now);
        this.push("UPDATED", executionId);
        return;
      }
      if (this.pending.has(executionId)) return;
      this.pending.set(executionId, last + progressMs);
      this.pendingVersion++;
      this.position = { ...this.position, pending: [...this.pending.keys()] };
      this.arm();
    }

    private arm(): void {
      if (this.timer || this.pending.size === 0) return;
      const due = Math.min(...this.pending.values());
      this.timer = setTimeout(() => this.flushDue(), Math.max(0, due - Date.now()));
    }

    private flushDue(): void {
      this.timer = undefined;
      if (this.ended) return;
      const now = Date.now();
      for (const [executionId, due] of [...this.pending]) {
        if (due > now) continue;
        this.pending.delete(executionId);
        this.pendingVersion++;
        this.position = { ...this.position, pending: [...this.pending.keys()] };
        this.lastSent.set(executionId, now);
        this.push("UPDATED", executionId);
      }
      if (this.lastSent.size > 10_000) {
        for (const [id, at] of this.lastSent) if (now - at >= progressMs) this.lastSent.delete(id);
      }
      this.arm();
    }

    private push(kind: ListChangeKind, executionId: string): void {
      const memo = this.memo ?? this.feed.memo;
      const item: Item = { kind, executionId, position: this.position, pendingVersion: this.pendingVersion, memo };
      const waiter = this.waiter;
      if (waiter && this.queue.length === 0) {
        this.waiter = undefined;
        waiter({ value: this.hand(item), done: false });
        return;
      }
      this.queue.push(item);
    }

    private hand(item: Item): ListChange {
      this.consumed = item.position;
      const change = toChange(item);
      this.lastCause = `list#${item.memo.id}:${item.kind}:${item.executionId}:${change.cursor()}`;
      return change;
    }

    /**
     * What the last change handed out stands for: its poll's reads, its kind and run, and its
     * cursor (the subscriber's place, held-back updates included). Subscribers of one list whose
     * changes have the same cause get the same payload.
     */
    cause(): string | null {
      return this.lastCause;
    }

    /** The batch's time while one is applied (all subscribers of a poll throttle alike), else now. */
    private now(): number {
      return this.clock ?? Date.now();
    }

    /** Fell behind: drop what waits and read it again, from what was consumed, when the client reads. */
    private takeOffFeed(): void {
      counters.takenOff++;
      this.feed.members.delete(this);
      this.mode = "catching";
      this.queue = [];
      this.position = this.consumed;
      this.pending.clear();
      this.pendingVersion++;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flushPending = true;
    }

    return(): Promise<IteratorReturnResult<undefined>> {
      if (!this.ended) {
        this.ended = true;
        this.queue = [];
        clearTimeout(this.timer);
        this.feed.members.delete(this);
        this.feed.release(this);
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter?.(DONE);
      }
      return Promise.resolve(DONE);
    }

    [Symbol.asyncIterator](): this {
      return this;
    }
  }

  const toChange = (item: Item): ListChange => {
    let cursor: string | undefined;
    return {
      kind: item.kind,
      executionId: item.executionId,
      cursor: () => (cursor ??= encodeCursor(item.position)),
      shared<T>(key: string, load: () => Promise<T>): Promise<T> {
        return memoized(item.memo, `${item.executionId} ${key}`, load);
      },
      sharedByRun<T>(key: string, load: (executionIds: readonly string[]) => Promise<ReadonlyMap<string, T>>) {
        // A change given outside its poll (a trailing progress update) may be of a run the latest poll did not touch.
        const all = item.memo.runs.has(item.executionId);
        const memoKey = all ? `* ${key}` : `${item.executionId} * ${key}`;
        const ids = () => (all ? [...item.memo.runs] : [item.executionId]);
        return memoized(item.memo, memoKey, () => load(ids())).then((found) => found.get(item.executionId));
      },
    };
  };

  return {
    subscribe(tenantId, filter, after) {
      const start = after === null ? null : decodeCursor(after, { nowMs: Date.now(), retentionMs: options.retentionMs });
      let feed = feeds.get(tenantId);
      if (!feed) {
        feed = new TenantFeed(tenantId);
        feeds.set(tenantId, feed);
      }
      return new Member(feed, filter, start);
    },
    stats() {
      let subscribers = 0;
      for (const feed of feeds.values()) subscribers += feed.subscribers.size;
      return { feeds: feeds.size, subscribers, ...counters };
    },
    close() {
      for (const feed of [...feeds.values()]) feed.close();
      feeds.clear();
    },
  };
}

/** One read per memo and key; a failed read is not shared: the next subscriber tries again. */
function memoized<T>(memo: Memo, key: string, load: () => Promise<T>): Promise<T> {
  let value = memo.reads.get(key) as Promise<T> | undefined;
  if (!value) {
    value = load();
    memo.reads.set(key, value);
    value.catch(() => memo.reads.delete(key));
  }
  return value;
}

const EMPTY = parseSnapshot("1:1:") as Snapshot;

function snapshotOf(text: string): Snapshot {
  const snapshot = parseSnapshot(text);
  if (!snapshot) throw new Error(`PostgreSQL returned a snapshot this code cannot read: ${text}`);
  return snapshot;
}

function plainPosition(snapshot: string, at: number): Position {
  return { snapshot: snapshotOf(snapshot), at, within: null, pending: [] };
}
