import { requireObject } from "../../atom/validate.js";
import type { DurableQueueBase, DurableQueueOptions } from "./durable-queue.js";
import { LevelDurableQueue, type LevelDurableQueueOptions } from "./level-durable-queue.js";
import { MemoryDurableQueue } from "./memory-durable-queue.js";

/**
 * Options of the queue presets: with `location` or `db` the queue lives in
 * LevelDB ({@link LevelDurableQueueOptions}, `name` required), without
 * them in memory ({@link DurableQueueOptions}).
 */
export type QueuePresetOptions<T> = DurableQueueOptions | LevelDurableQueueOptions<T>;

/** Opens a memory or LevelDB queue with the preset's defaults under the caller's options. @internal */
export async function openPreset<T>(kind: string, defaults: DurableQueueOptions, options: QueuePresetOptions<T>): Promise<DurableQueueBase<T>> {
  requireObject("options", options);
  const merged = { ...defaults, ...options } as LevelDurableQueueOptions<T>;
  // An explicit retry policy replaces the preset's maxAttempts.
  if (options.retry !== undefined && options.maxAttempts === undefined) delete merged.maxAttempts;
  if ("location" in options || "db" in options) return LevelDurableQueue.open<T>(merged, kind);
  return Promise.resolve(new MemoryDurableQueue<T>(merged, kind));
}
