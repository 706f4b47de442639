import { BackoffPolicy } from "../../policy/backoff-policy.js";
import type { DurableQueueBase } from "./durable-queue.js";
import { openPreset, type QueuePresetOptions } from "./queue-preset.js";

/** The {@link retryQueue} preset's defaults (each can be overridden). */
export const RETRY_QUEUE_DEFAULTS = Object.freeze({
  maxAttempts: 8,
  backoff: BackoffPolicy.exponential({ initialDelay: 1_000, multiplier: 2, maxDelay: 300_000, jitter: "full" }),
});

/**
 * A {@link DurableQueue} configured as the catalog's `RetryQueue`: a job
 * that fails (`nack`) is parked durably until its next attempt is due by
 * the backoff policy — exponential from 1 s, doubling to 5 min, full
 * jitter — and goes to the dead-letter queue after 8 attempts, so retries
 * neither block other jobs nor hammer the failing dependency. With
 * `location`/`db` it is a {@link LevelDurableQueue}, else a
 * {@link MemoryDurableQueue}; its descriptor's kind is `RetryQueue`.
 *
 * ## Example
 * ```ts
 * const webhooks = await retryQueue<Webhook>({ location: "./data/webhooks", name: "webhooks" });
 * work(webhooks, (hook) => post(hook.url, hook.body)).subscribe(); // failures retried 1 s, 2 s, 4 s … apart
 * ```
 * @see {@link work}
 * @lego RetryQueue
 */
export function retryQueue<T>(options: QueuePresetOptions<T> = {}): Promise<DurableQueueBase<T>> {
  return openPreset<T>("RetryQueue", RETRY_QUEUE_DEFAULTS, options);
}
