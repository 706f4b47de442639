/**
 * The DurableQueue conformance suite on the LevelDB backend — memory-level
 * and classic-level on disk — in virtual time (ManualClock), with restarts.
 */
import { describe, it } from "vitest";
import { BackoffPolicy, LevelDurableQueue, ManualClock, type DurableQueue } from "../../../src/index.js";
import { durableQueueConformance, type DurableQueueTestOptions } from "../../../src/testing/index.js";
import { backends, type BackendHandle } from "../backends.js";

for (const backend of backends) {
  let clock = new ManualClock();
  const handles = new Map<DurableQueue<unknown>, BackendHandle>();
  const open = (handle: BackendHandle, options: DurableQueueTestOptions): Promise<LevelDurableQueue<unknown>> =>
    LevelDurableQueue.open<unknown>({
      db: handle.db,
      name: "conformance",
      maxAttempts: options.maxAttempts,
      visibilityTimeout: options.visibilityTimeout,
      backoff: BackoffPolicy.fixed(options.retryDelay),
      scheduler: clock,
    });

  durableQueueConformance({ describe, it }, `LevelDurableQueue on ${backend.name} (ManualClock)`, {
    async open(options) {
      clock = new ManualClock();
      const handle = await backend.create();
      const queue = await open(handle, options);
      handles.set(queue, handle);
      return queue;
    },
    async dispose(queue) {
      const handle = handles.get(queue);
      handles.delete(queue);
      await handle?.dispose();
    },
    advance(ms) {
      clock.advance(ms);
      return Promise.resolve();
    },
    async reopen(queue, options) {
      const handle = handles.get(queue);
      if (handle === undefined) throw new Error("unknown queue");
      await queue.close();
      handles.delete(queue);
      await handle.reopen();
      const reopened = await open(handle, options);
      handles.set(reopened, handle);
      return reopened;
    },
  });
}
