/** The DurableQueue conformance suite on the memory backend, in virtual time (ManualClock). */
import { describe, it } from "vitest";
import { BackoffPolicy, ManualClock, MemoryDurableQueue } from "../../../src/index.js";
import { durableQueueConformance } from "../../../src/testing/index.js";

let clock = new ManualClock();

durableQueueConformance({ describe, it }, "MemoryDurableQueue (ManualClock)", {
  open: ({ maxAttempts, visibilityTimeout, retryDelay }) => {
    clock = new ManualClock();
    return Promise.resolve(
      new MemoryDurableQueue<unknown>({ name: "conformance", maxAttempts, visibilityTimeout, backoff: BackoffPolicy.fixed(retryDelay), scheduler: clock }),
    );
  },
  advance: (ms) => {
    clock.advance(ms);
    return Promise.resolve();
  },
});
