import { optionalGroup, requireObject, requireOneOf, requirePositiveInteger } from "../atom/validate.js";
import { BoundedRingBuffer } from "../local/bounded-ring-buffer.js";
import { OVERFLOW_POLICIES, type OverflowPolicy } from "../policy/overflow-policy.js";

/** Where a queued item's fate is reported; each item gets exactly one call. */
export interface GroupCommitSink<T> {
  /** The item is durable at `offset`. */
  written(item: T, offset: number, appendedAt: number): void;
  /** Overflow removed the item before it was written. */
  dropped(item: T): void;
  /** The write that held the item failed; nothing of that write is stored. */
  failed(error: unknown): void;
  /** True once the sink wants no more writes (its stream failed): its queued items are skipped. */
  readonly cancelled: boolean;
}

/** What one commit stored. */
export interface GroupCommit {
  readonly firstOffset: number;
  readonly appendedAt: number;
}

/** Options of {@link GroupCommitQueue}. */
export interface GroupCommitQueueOptions {
  /** Writes one batch atomically; resolves once it is as durable as configured. */
  commit: (payloads: Uint8Array[]) => Promise<GroupCommit>;
  /** Items waiting for disk at most (those in the write in flight not counted). @default 10000 */
  maxPending?: number;
  /** What an item arriving at a full queue does (see {@link GroupCommitQueue.offer}). @default "drop_oldest" */
  overflow?: OverflowPolicy;
  /** Items per write at most. @default 1000 */
  maxBatch?: number;
  /** Label linking the queue to the spool that owns it. */
  group?: string;
}

/** The outcome of {@link GroupCommitQueue.offer}. */
export type OfferResult = "queued" | "dropped" | "rejected";

const NONE: readonly never[] = Object.freeze([]);

type Outcome = { readonly commit: GroupCommit } | { readonly error: unknown };

interface Entry<T> {
  readonly item: T;
  readonly payload: Uint8Array;
  readonly sink: GroupCommitSink<T>;
}

/**
 * Group commit without RxJS: items wait in a bounded ring while one write
 * is in flight; when it finishes, everything that arrived meanwhile (up to
 * `maxBatch`) goes to disk in the next single write. A burst of N items
 * under `sync` durability therefore costs a few fsyncs, not N. The first
 * write waits one microtask so that a synchronous burst is one batch.
 *
 * Writes never overlap, so offsets are handed out in arrival order and a
 * crash can only lose a suffix of the queue, never leave a gap.
 */
export class GroupCommitQueue<T> {
  readonly maxBatch: number;
  group: string | undefined;
  /** Writes done. */
  batches = 0;
  private readonly ring: BoundedRingBuffer<Entry<T>>;
  private readonly commit: (payloads: Uint8Array[]) => Promise<GroupCommit>;
  private draining = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: GroupCommitQueueOptions) {
    requireObject("options", options);
    if (typeof options.commit !== "function") throw new TypeError("commit must be a function");
    this.commit = options.commit;
    this.group = optionalGroup(options.group);
    this.maxBatch = requirePositiveInteger("maxBatch", options.maxBatch ?? 1000);
    this.ring = new BoundedRingBuffer<Entry<T>>({
      capacity: requirePositiveInteger("maxPending", options.maxPending ?? 10_000),
      overflow: requireOneOf("overflow", options.overflow ?? "drop_oldest", OVERFLOW_POLICIES),
      ...(this.group === undefined ? {} : { group: this.group }),
    });
  }

  get maxPending(): number {
    return this.ring.capacity;
  }

  get overflow(): OverflowPolicy {
    return this.ring.overflow;
  }

  /** Items waiting for disk, not counting the write in flight. */
  get pending(): number {
    return this.ring.size;
  }

  /** Items in the write in flight. */
  get writing(): number {
    return this.inFlight;
  }

  /** Items lost to overflow (`drop_oldest`, `drop_newest`, `latest`). */
  get dropped(): number {
    return this.ring.dropped;
  }

  /** Items refused under `reject`. */
  get rejected(): number {
    return this.ring.rejected;
  }

  /** True when nothing waits and nothing is being written. */
  get idle(): boolean {
    return !this.draining && this.ring.size === 0;
  }

  /**
   * Queues `item` (already encoded as `payload`). On a full queue:
   * `drop_oldest` evicts the oldest waiting item (its sink hears
   * `dropped`), `latest` evicts every waiting item, `drop_newest` drops
   * this one (`"dropped"`, its sink hears `dropped`), and `reject` refuses
   * it (`"rejected"`, no sink call: the caller decides).
   */
  offer(item: T, payload: Uint8Array, sink: GroupCommitSink<T>): OfferResult {
    const evicted = this.evictionsFor();
    const stored = this.ring.push({ item, payload, sink });
    for (const entry of evicted) entry.sink.dropped(entry.item);
    if (!stored) {
      if (this.ring.overflow === "reject") return "rejected";
      sink.dropped(item);
      return "dropped";
    }
    this.startDraining();
    return "queued";
  }

  /** Resolves once every queued item has been written (or has failed). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The entries a push is about to evict (BoundedRingBuffer drops them silently). */
  private evictionsFor(): readonly Entry<T>[] {
    if (this.ring.overflow === "latest") return this.ring.size === 0 ? NONE : [...this.ring];
    if (this.ring.overflow === "drop_oldest" && this.ring.isFull) {
      const oldest = this.ring.peek();
      return oldest === undefined ? NONE : [oldest];
    }
    return NONE;
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => {
      void this.drain();
    });
  }

  /**
   * Writes batches one after another. As soon as a write is done the next
   * one starts, and only then are the finished batch's items handed to
   * their sinks, so delivering overlaps with the next write. A failed write
   * is settled first: its sinks are cancelled before the next batch is
   * taken, so nothing they queued after the failed items is written (the
   * log never gets a gap that a follower would read as 1, 2, 4).
   */
  private async drain(): Promise<void> {
    let batch = this.takeBatch();
    let write = this.start(batch);
    while (write !== undefined) {
      const outcome = await write;
      this.inFlight = 0;
      const done = batch;
      if ("error" in outcome) this.settle(done, outcome);
      batch = this.takeBatch();
      write = this.start(batch);
      if (!("error" in outcome)) this.settle(done, outcome);
      if (write === undefined) {
        // Items offered while the finished batch was being delivered.
        batch = this.takeBatch();
        write = this.start(batch);
      }
    }
    this.draining = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private takeBatch(): Entry<T>[] {
    const batch: Entry<T>[] = [];
    while (batch.length < this.maxBatch) {
      const entry = this.ring.pop();
      if (entry === undefined) break;
      if (!entry.sink.cancelled) batch.push(entry);
    }
    return batch;
  }

  /** Starts writing `batch` (nothing for an empty one); the outcome never rejects. */
  private start(batch: Entry<T>[]): Promise<Outcome> | undefined {
    if (batch.length === 0) return undefined;
    this.inFlight = batch.length;
    return this.commit(batch.map((entry) => entry.payload)).then(
      (commit): Outcome => ({ commit }),
      (error: unknown): Outcome => ({ error }),
    );
  }

  private settle(batch: Entry<T>[], outcome: Outcome): void {
    if ("error" in outcome) {
      const sinks = new Set(batch.map((entry) => entry.sink));
      for (const sink of sinks) sink.failed(outcome.error);
      return;
    }
    this.batches++;
    const { firstOffset, appendedAt } = outcome.commit;
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i] as Entry<T>;
      entry.sink.written(entry.item, firstOffset + i, appendedAt);
    }
  }
}
