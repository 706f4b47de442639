import type { LegoObservable } from "../../atom/lego-descriptor.js";
import { requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { DurableQueue } from "../../ports/durable-queue.js";
import { startWorker, type WorkHandler, type WorkOptions, type WorkOutcome } from "./worker.js";

/** Options of {@link workerPool}: a {@link work} worker's, with `size` in place of `concurrency`. */
export interface WorkerPoolOptions extends Omit<WorkOptions, "concurrency"> {
  /** Workers (handlers running at once). */
  size: number;
}

/**
 * Runs `size` workers against a queue (the catalog's `WorkerPool`): at most
 * `size` handlers at once, each job to one of them, with the {@link work}
 * semantics — ack on success, nack with backoff on failure, visibility
 * renewed while a handler runs — and a graceful shutdown on unsubscribe:
 * no new job is started, running handlers get `grace` ms to finish and
 * settle, then everything unsettled returns to the queue. The pool is one
 * consumer with `size` slots, so the queue hands a new job to whichever
 * worker frees up first.
 *
 * ## Example
 * ```ts
 * const pool = workerPool(queue, resize, { size: 8, grace: 10_000, group: "thumbnails" });
 * const running = pool.subscribe();
 * // on shutdown: running.unsubscribe();
 * ```
 * @see {@link work}
 * @lego WorkerPool
 */
export function workerPool<T, R>(queue: DurableQueue<T>, handler: WorkHandler<T, R>, options: WorkerPoolOptions): LegoObservable<WorkOutcome<T, R>> {
  requireObject("options", options);
  const size = requirePositiveInteger("size", options.size);
  const { size: _size, ...rest } = options;
  return startWorker("WorkerPool", queue, handler, { ...rest, concurrency: size });
}
