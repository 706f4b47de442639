import type { DurableQueueBase } from "./durable-queue.js";
import { openPreset, type QueuePresetOptions } from "./queue-preset.js";

/**
 * A {@link DurableQueue} used as the catalog's `WorkQueue`: tasks shared by
 * competing workers ({@link work}, {@link workerPool}, or several
 * `consume()` subscribers), each task delivered to one worker at a time
 * and removed only when that worker acks it; a worker that dies mid-task
 * lets the visibility deadline lapse and another worker runs the task
 * again. With `location`/`db` it is a {@link LevelDurableQueue}, else a
 * {@link MemoryDurableQueue}; its descriptor's kind is `WorkQueue`.
 *
 * ## Example
 * ```ts
 * const tasks = await workQueue<Task>({ location: "./data/tasks", name: "tasks", visibilityTimeout: 60_000 });
 * workerPool(tasks, runTask, { size: 4 }).subscribe();
 * ```
 * @lego WorkQueue
 */
export function workQueue<T>(options: QueuePresetOptions<T> = {}): Promise<DurableQueueBase<T>> {
  return openPreset<T>("WorkQueue", {}, options);
}
