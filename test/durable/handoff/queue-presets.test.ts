/** RetryQueue, DelayQueue, PriorityQueue and WorkQueue: configurations of DurableQueue, on memory and on LevelDB. */
import { MemoryLevel } from "memory-level";
import { describe, expect, it } from "vitest";
import { LevelDurableQueue, ManualClock, MemoryDurableQueue, delayQueue, priorityQueue, retryQueue, workQueue, type Delivery } from "../../../src/index.js";

describe("queue presets", () => {
  it("each preset names its catalog kind, in memory without location/db", async () => {
    for (const [open, kind] of [
      [retryQueue, "RetryQueue"],
      [delayQueue, "DelayQueue"],
      [priorityQueue, "PriorityQueue"],
      [workQueue, "WorkQueue"],
    ] as const) {
      const queue = await open<number>({ name: "q" });
      expect(queue).toBeInstanceOf(MemoryDurableQueue);
      expect(queue.lego).toEqual({ kind, name: "q" });
      await queue.close();
    }
  });

  it("retryQueue retries with exponential backoff and dead-letters after 8 attempts by default; options override", async () => {
    const queue = await retryQueue<number>();
    expect(queue.retry.maxAttempts).toBe(8);
    expect(queue.backoff).toMatchObject({ initialDelay: 1000, multiplier: 2, maxDelay: 300_000, jitter: "full" });
    const custom = await retryQueue<number>({ maxAttempts: 3 });
    expect(custom.retry.maxAttempts).toBe(3);
  });

  it("on LevelDB with db: a DelayQueue delivers in due order, a PriorityQueue by priority", async () => {
    const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
    const clock = new ManualClock();
    const delays = await delayQueue<string>({ db, name: "delays", scheduler: clock });
    expect(delays).toBeInstanceOf(LevelDurableQueue);
    expect(delays.lego.kind).toBe("DelayQueue");
    await delays.enqueue("c", { delay: 300 });
    await delays.enqueue("a", { delay: 100 });
    await delays.enqueue("b", { delay: 200 });
    const got: Delivery<string>[] = [];
    const subscription = delays.consume({ concurrency: 3 }).subscribe((d) => got.push(d));
    clock.advance(300);
    await new Promise((resolve) => setImmediate(resolve));
    expect(got.map((d) => d.value)).toEqual(["a", "b", "c"]);
    subscription.unsubscribe();
    await delays.close();

    const priorities = await priorityQueue<string>({ db, name: "priorities", scheduler: clock });
    await priorities.enqueue("low", { priority: -1 });
    await priorities.enqueue("high", { priority: 9 });
    const order: string[] = [];
    const sub = priorities.consume().subscribe((d) => {
      order.push(d.value);
      void d.ack();
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["high", "low"]);
    sub.unsubscribe();
    await priorities.close();
    await db.close();
  });
});
