import { DurableQueueBase, validateQueueOptions, type DurableQueueOptions, type Job, type QueueStore } from "./durable-queue.js";

/** Options of {@link MemoryDurableQueue}: those of every queue backend. */
export type MemoryDurableQueueOptions = DurableQueueOptions;

/** The memory "store": offsets from a counter, nothing to write. */
class MemoryQueueStore<T> implements QueueStore<T> {
  #next = 0;

  append(_job: Job<T>): number {
    return this.#next++;
  }

  write(): undefined {
    return undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The in-memory backend of the {@link DurableQueue} port: the same queue as
 * {@link LevelDurableQueue} (visibility deadlines, retries with backoff,
 * delays, priorities, id dedupe, dead letters, redrive) with nothing on
 * disk, so nothing survives the process. Every call answers at once, which
 * makes it the backend for tests in virtual time (pass a `ManualClock` as
 * `scheduler`) and for handoff between components of one process.
 *
 * ```text
 * enqueue(a) enqueue(b)         consume()    a.ack()   (b not acked within visibilityTimeout)
 *   ----a---------b----------> --a--b------------------------b'-->  b' = b, attempt 2
 * ```
 *
 * ## Example
 * ```ts
 * const queue = new MemoryDurableQueue<Email>({ maxAttempts: 3, visibilityTimeout: 10_000 });
 * await queue.enqueue({ to: "ops@example.com" }, { id: "mail-1" });
 * queue.consume({ concurrency: 4 }).subscribe(async (delivery) => {
 *   try { await send(delivery.value); await delivery.ack(); }
 *   catch (error) { await delivery.nack({ error }); }
 * });
 * ```
 * @see {@link LevelDurableQueue} for the same queue on LevelDB, and {@link work} for a worker on any queue.
 * @lego DurableQueue
 */
export class MemoryDurableQueue<T> extends DurableQueueBase<T> {
  /** `kind` is the catalog name on the descriptor (the presets pass theirs). */
  constructor(options: MemoryDurableQueueOptions = {}, kind = "DurableQueue") {
    super(validateQueueOptions(options), new MemoryQueueStore<T>(), kind);
  }
}
