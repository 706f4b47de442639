import type { DurableQueueBase } from "./durable-queue.js";
import { openPreset, type QueuePresetOptions } from "./queue-preset.js";

/**
 * A {@link DurableQueue} used as the catalog's `PriorityQueue`: among ready
 * jobs the highest `priority` (`enqueue(value, { priority })`, any finite
 * number) is delivered first, and within one priority the oldest first.
 * The priority is stored with the job. Low priorities starve under
 * sustained high-priority load (no aging). With `location`/`db` it is a
 * {@link LevelDurableQueue}, else a {@link MemoryDurableQueue}; its
 * descriptor's kind is `PriorityQueue`.
 *
 * ## Example
 * ```ts
 * const alerts = await priorityQueue<Alert>();
 * await alerts.enqueue(page, { priority: 10 });
 * await alerts.enqueue(digest, { priority: 0 }); // delivered after every ready priority-10 job
 * ```
 * @lego PriorityQueue
 */
export function priorityQueue<T>(options: QueuePresetOptions<T> = {}): Promise<DurableQueueBase<T>> {
  return openPreset<T>("PriorityQueue", {}, options);
}
