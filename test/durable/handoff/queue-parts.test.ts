/**
 * The parts of DurableQueue on their own (AckTracker, VisibilityDeadline,
 * DeadLetterQueue), the redelivery-at-the-deadline proof in virtual time,
 * and the queue's options, descriptor and counters.
 */
import { setImmediate } from "node:timers/promises";
import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AckTracker,
  BackoffPolicy,
  DeadLetterQueue,
  ManualClock,
  MemoryDurableQueue,
  RetryPolicy,
  VisibilityDeadline,
  isLegoError,
  type Delivery,
} from "../../../src/index.js";

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await setImmediate();
};

describe("AckTracker", () => {
  it("settles a delivery once", () => {
    const tracker = new AckTracker<string>({ group: "g" });
    const token = tracker.deliver("job", 1, 0);
    expect(tracker.inFlight).toBe(1);
    expect(tracker.settle(token)).toEqual({ key: "job", attempt: 1, deliveredAt: 0 });
    expect(tracker.settle(token)).toBeUndefined();
    expect(tracker.inFlight).toBe(0);
    expect(tracker.group).toBe("g");
  });

  it("moves the watermark only over a contiguous settled prefix", () => {
    const tracker = new AckTracker<string>({ start: 10 });
    expect(tracker.watermark).toBe(10);
    for (const offset of [10, 11, 12, 14]) tracker.track(offset);
    expect(tracker.settleOffset(12)).toBe(true);
    expect(tracker.watermark).toBe(10);
    tracker.settleOffset(10);
    expect(tracker.watermark).toBe(11);
    tracker.settleOffset(11);
    expect(tracker.watermark).toBe(14);
    expect(tracker.settleOffset(11)).toBe(false);
    tracker.settleOffset(14);
    expect(tracker.watermark).toBe(15);
    expect(() => tracker.track(3)).toThrow(RangeError);
  });

  it("property: the watermark is the lowest unsettled offset, whatever the settle order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 60 }), (count, picks) => {
        const tracker = new AckTracker<number>();
        for (let i = 0; i < count; i++) tracker.track(i);
        const settled = new Set<number>();
        for (const pick of picks) {
          const offset = pick % count;
          tracker.settleOffset(offset);
          settled.add(offset);
          let lowest = 0;
          while (settled.has(lowest)) lowest++;
          expect(tracker.watermark).toBe(lowest);
        }
      }),
    );
  });
});

describe("VisibilityDeadline", () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  });

  it("reports a lapse exactly at the deadline, moved by extend, never after clear", () => {
    scheduler.run(({ flush: run }) => {
      const lapses: [string, number][] = [];
      const deadlines = new VisibilityDeadline<string>({ timeout: 100, onLapse: (key) => lapses.push([key, scheduler.now()]), scheduler });
      deadlines.start("a");
      deadlines.start("b", 30);
      deadlines.start("c");
      scheduler.schedule(() => deadlines.extend("a", 100), 50);
      scheduler.schedule(() => deadlines.clear("c"), 99);
      run();
      expect(lapses).toEqual([
        ["b", 30],
        ["a", 150],
      ]);
      expect(deadlines.size).toBe(0);
      expect(deadlines.extend("a")).toBeUndefined();
    });
  });

  it("validates its options", () => {
    expect(() => new VisibilityDeadline({ timeout: 0, onLapse: () => undefined })).toThrow(RangeError);
    expect(() => new VisibilityDeadline({ timeout: 10, onLapse: 1 as unknown as () => void })).toThrow(TypeError);
  });
});

describe("DeadLetterQueue", () => {
  const letter = (id: string) => ({ letter: { id, value: id, attempts: 1, reason: "r", enqueuedAt: 0, deadLetteredAt: 0 }, offset: 0, priority: 0 });

  it("lists oldest first, drops the oldest when full, and takes by id", () => {
    const dlq = new DeadLetterQueue<string>({ capacity: 2 });
    expect(dlq.add(letter("a"))).toBeUndefined();
    dlq.add(letter("b"));
    expect(dlq.add(letter("c"))?.letter.id).toBe("a");
    expect(dlq.dropped).toBe(1);
    expect(dlq.list().map((l) => l.id)).toEqual(["b", "c"]);
    expect(dlq.list(1).map((l) => l.id)).toEqual(["b"]);
    expect(dlq.take(["c", "x"]).map((e) => e.letter.id)).toEqual(["c"]);
    expect(dlq.take().map((e) => e.letter.id)).toEqual(["b"]);
    expect(dlq.size).toBe(0);
    expect(() => new DeadLetterQueue({ capacity: 0 })).toThrow(RangeError);
  });
});

describe("DurableQueue in virtual time", () => {
  it("redelivers exactly at the visibility deadline (not 1 ms before), and again exactly at an extended one", async () => {
    const clock = new ManualClock(1_000);
    const queue = new MemoryDurableQueue<string>({ visibilityTimeout: 5_000, scheduler: clock, maxAttempts: 5 });
    await queue.enqueue("job", { id: "j" });
    const deliveries: [number, number][] = [];
    const received: Delivery<string>[] = [];
    const subscription = queue.consume({ concurrency: 5 }).subscribe((d) => {
      deliveries.push([d.attempt, clock.now()]);
      received.push(d);
    });
    expect(deliveries).toEqual([[1, 1_000]]);
    clock.advance(4_999);
    expect(deliveries).toHaveLength(1);
    clock.advance(1);
    expect(deliveries).toEqual([
      [1, 1_000],
      [2, 6_000],
    ]);
    // The second delivery renews at t = 8000 for 10 s: due at 18 000.
    clock.advance(2_000);
    await received[1]!.extend(10_000);
    clock.advance(9_999);
    expect(deliveries).toHaveLength(2);
    clock.advance(1);
    expect(deliveries.at(-1)).toEqual([3, 18_000]);
    // The lapsed deliveries cannot settle any more.
    await expect(received[0]!.ack()).rejects.toSatisfy((e: unknown) => isLegoError(e, "DELIVERY_SETTLED"));
    expect(queue.lego.counters).toMatchObject({ delivered: 3, redelivered: 2, expired: 2, extended: 1 });
    subscription.unsubscribe();
  });

  it("property: with any visibility timeout, redelivery happens at deliveredAt + timeout", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 10_000 }), async (timeout, start) => {
        const clock = new ManualClock(start);
        const queue = new MemoryDurableQueue<number>({ visibilityTimeout: timeout, scheduler: clock });
        await queue.enqueue(1);
        const at: number[] = [];
        const subscription = queue.consume({ concurrency: 2 }).subscribe(() => at.push(clock.now()));
        clock.advance(timeout - 1);
        expect(at).toEqual([start]);
        clock.advance(1);
        expect(at).toEqual([start, start + timeout]);
        subscription.unsubscribe();
      }),
      { numRuns: 50 },
    );
  });

  it("delays promote at their due time, in due order", async () => {
    const clock = new ManualClock();
    const queue = new MemoryDurableQueue<string>({ scheduler: clock });
    await queue.enqueue("late", { delay: 300 });
    await queue.enqueue("early", { delay: 100 });
    const seen: [string, number][] = [];
    const subscription = queue.consume({ concurrency: 5 }).subscribe((d) => seen.push([d.value, clock.now()]));
    clock.advance(1_000);
    expect(seen).toEqual([
      ["early", 100],
      ["late", 300],
    ]);
    subscription.unsubscribe();
  });

  it("a nack whose error the retry policy refuses dead-letters at once", async () => {
    const clock = new ManualClock();
    const queue = new MemoryDurableQueue<string>({ scheduler: clock, retry: RetryPolicy.attempts(10, (e) => !(e instanceof TypeError)) });
    await queue.enqueue("x", { id: "x" });
    const got: Delivery<string>[] = [];
    const subscription = queue.consume().subscribe((d) => got.push(d));
    await got[0]!.nack({ error: new TypeError("bad payload") });
    const [letter] = await queue.deadLetters();
    expect(letter).toMatchObject({ id: "x", attempts: 1, lastError: "bad payload" });
    expect(letter!.reason).toMatch(/not retryable/);
    subscription.unsubscribe();
  });

  it("the queue's backoff sets the wait after a nack without delay", async () => {
    const clock = new ManualClock();
    const queue = new MemoryDurableQueue<string>({ scheduler: clock, maxAttempts: 4, backoff: BackoffPolicy.exponential({ initialDelay: 100, multiplier: 3 }) });
    await queue.enqueue("x");
    const at: number[] = [];
    const subscription = queue.consume().subscribe((d) => {
      at.push(clock.now());
      void d.nack();
    });
    await flush();
    clock.advance(10_000);
    await flush();
    // Attempt 2 after 100, attempt 3 after 300, attempt 4 after 900.
    expect(at).toEqual([0, 100, 400, 1_300]);
    expect((await queue.depth()).deadLettered).toBe(1);
    subscription.unsubscribe();
  });
});

describe("DurableQueue options, descriptor and errors", () => {
  it("describes itself with counters and depth$", async () => {
    const clock = new ManualClock();
    const queue = new MemoryDurableQueue<number>({ name: "orders", group: "shop", scheduler: clock });
    expect(queue.lego).toEqual({ kind: "DurableQueue", name: "orders", group: "shop" });
    expect(clock.group).toBe("shop");
    await queue.enqueue(1, { id: "a" });
    await queue.enqueue(1, { id: "a" });
    expect(queue.lego.counters).toMatchObject({ enqueued: 1, duplicates: 1, delivered: 0 });
    const consume$ = queue.consume();
    expect(consume$.lego.kind).toBe("DurableQueue");
  });

  it("refuses bad options when made", () => {
    expect(() => new MemoryDurableQueue({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new MemoryDurableQueue({ maxAttempts: 2, retry: RetryPolicy.never() })).toThrow(TypeError);
    expect(() => new MemoryDurableQueue({ visibilityTimeout: 0 })).toThrow(RangeError);
    expect(() => new MemoryDurableQueue({ capacity: 1.5 })).toThrow(RangeError);
    expect(() => new MemoryDurableQueue({ dedupeWindow: -1 })).toThrow(RangeError);
    expect(() => new MemoryDurableQueue({ scheduler: {} as unknown as ManualClock })).toThrow(TypeError);
    expect(() => new MemoryDurableQueue({ group: 3 as unknown as string })).toThrow(TypeError);
    const queue = new MemoryDurableQueue();
    expect(() => queue.consume({ concurrency: 0 })).toThrow(RangeError);
    expect(() => queue.consume({ visibilityTimeout: -5 })).toThrow(RangeError);
  });

  it("rejects with QUEUE_FULL beyond its capacity", async () => {
    const queue = new MemoryDurableQueue<number>({ capacity: 2 });
    await queue.enqueue(1);
    await queue.enqueue(2);
    await expect(queue.enqueue(3)).rejects.toSatisfy((e: unknown) => isLegoError(e, "QUEUE_FULL"));
  });

  it("forgets acknowledged ids after the dedupe window", async () => {
    const clock = new ManualClock();
    const queue = new MemoryDurableQueue<number>({ scheduler: clock, dedupeWindow: 1_000 });
    await queue.enqueue(1, { id: "a" });
    const subscription = queue.consume().subscribe((d) => void d.ack());
    await flush();
    clock.advance(999);
    expect((await queue.enqueue(2, { id: "a" })).duplicate).toBe(true);
    clock.advance(2);
    expect((await queue.enqueue(3, { id: "a" })).duplicate).toBe(false);
    subscription.unsubscribe();
  });

  it("a consumer of a closed queue errors with QUEUE_CLOSED; close completes consumers and depth$", async () => {
    const queue = new MemoryDurableQueue<number>();
    let completed = 0;
    queue.consume().subscribe({ complete: () => completed++ });
    queue.depth$.subscribe({ complete: () => completed++ });
    await queue.close();
    expect(completed).toBe(2);
    let error: unknown;
    queue.consume().subscribe({ error: (e: unknown) => (error = e) });
    expect(isLegoError(error, "QUEUE_CLOSED")).toBe(true);
    await expect(queue.depth()).rejects.toSatisfy((e: unknown) => isLegoError(e, "QUEUE_CLOSED"));
  });
});
