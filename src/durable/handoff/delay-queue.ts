import type { DurableQueueBase } from "./durable-queue.js";
import { openPreset, type QueuePresetOptions } from "./queue-preset.js";

/**
 * A {@link DurableQueue} used as the catalog's `DelayQueue`: each job is
 * held until its due time (`enqueue(value, { delay })`) and then handed
 * out, in due-time order; due times are stored with the job, so they
 * survive a restart on LevelDB. Items come out at or after their due time,
 * never before (the delay timer runs on the queue's scheduler). With
 * `location`/`db` it is a {@link LevelDurableQueue}, else a
 * {@link MemoryDurableQueue}; its descriptor's kind is `DelayQueue`.
 *
 * ## Example
 * ```ts
 * const reminders = await delayQueue<Reminder>({ location: "./data/reminders", name: "reminders" });
 * await reminders.enqueue({ user: 42 }, { id: "remind-42", delay: 24 * 3600_000 });
 * ```
 * @see {@link retryQueue}
 * @lego DelayQueue
 */
export function delayQueue<T>(options: QueuePresetOptions<T> = {}): Promise<DurableQueueBase<T>> {
  return openPreset<T>("DelayQueue", {}, options);
}
