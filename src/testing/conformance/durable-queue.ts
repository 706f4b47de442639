/**
 * The conformance suite of the {@link DurableQueue} port: every backend
 * (memory, LevelDB, a JetStream work-queue stream, a third party's) runs
 * these tests and must pass them unchanged. The suite never reads a clock
 * itself: the factory says how the queue's time moves (`advance`), so a
 * virtual-time backend advances a ManualClock and a real-time one waits.
 */
import assert from "node:assert/strict";
import type { Subscription } from "rxjs";
import { isLegoError } from "../../atom/lego-error.js";
import type { Delivery, DurableQueue } from "../../ports/durable-queue.js";
import { sleep } from "../../time/sleep.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** What the suite asks of a fresh queue (all in ms of the queue's time). */
export interface DurableQueueTestOptions {
  /** Attempts per job before dead-lettering (the first delivery counts). */
  maxAttempts: number;
  /** The queue's default visibility timeout. */
  visibilityTimeout: number;
  /** The wait before a retry after a `nack()` without `delay` (a fixed backoff). */
  retryDelay: number;
}

/**
 * How the suite gets queues and moves their time. `open(options)` makes a
 * fresh, empty queue of JSON-able values configured as asked.
 */
export interface DurableQueueFactory extends BackendFactory<DurableQueue<unknown>, DurableQueueTestOptions> {
  /** A fresh, empty queue configured as asked (the suite always passes the options). */
  open(options: DurableQueueTestOptions): Promise<DurableQueue<unknown>>;
  /**
   * Lets `ms` of the queue's time pass: advance the ManualClock the queue
   * was opened with (virtual time), or simply wait `ms` (real time).
   */
  advance(ms: number): Promise<void>;
  /**
   * The suite's unit of time, ms: visibility timeouts, delays and
   * advances are small multiples of it. Virtual-time backends can use a
   * large one; a real-time backend picks the smallest its engine times
   * reliably (e.g. 250 for JetStream). @default 1000
   */
  tick?: number;
  /**
   * Real ms to wait for something to arrive (or to be sure it does not),
   * beyond the queue's own time. @default 2000 to arrive, 50 to be absent
   */
  arriveWithin?: number;
  absentFor?: number;
  /**
   * Closes `queue` and opens the same one again (a restart), when the
   * backend is durable; the restart tests are skipped without it.
   */
  reopen?(queue: DurableQueue<unknown>, options: DurableQueueTestOptions): Promise<DurableQueue<unknown>>;
}

/** Collects a consumer's deliveries. */
class Inbox {
  readonly received: Delivery<unknown>[] = [];
  readonly subscription: Subscription;
  error: unknown;

  constructor(queue: DurableQueue<unknown>, options: { concurrency?: number; visibilityTimeout?: number } = {}) {
    this.subscription = queue.consume(options).subscribe({
      next: (delivery) => this.received.push(delivery),
      error: (error: unknown) => {
        this.error = error;
      },
    });
  }

  values(): unknown[] {
    return this.received.map((delivery) => delivery.value);
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isLegoError(error), `${what}: expected a LegoError, got ${String(error)}`);
    assert.equal(error.code, code, `${what}: ${error.message}`);
    return true;
  });
}

/**
 * Registers the DurableQueue conformance tests under `describe(name)`.
 *
 * ## Example
 * ```ts
 * import { describe, it } from "vitest";
 * import { durableQueueConformance } from "manyfold-rx/testing";
 * let clock: ManualClock;
 * durableQueueConformance({ describe, it }, "MemoryDurableQueue", {
 *   open: async ({ maxAttempts, visibilityTimeout, retryDelay }) => {
 *     clock = new ManualClock();
 *     return new MemoryDurableQueue({ maxAttempts, visibilityTimeout, backoff: BackoffPolicy.fixed(retryDelay), scheduler: clock });
 *   },
 *   advance: async (ms) => { clock.advance(ms); },
 * });
 * ```
 */
export function durableQueueConformance(runner: ConformanceRunner, name: string, factory: DurableQueueFactory): void {
  const tick = factory.tick ?? 1000;
  const arriveWithin = factory.arriveWithin ?? 2000;
  const absentFor = factory.absentFor ?? 50;
  const defaults: DurableQueueTestOptions = { maxAttempts: 3, visibilityTimeout: 4 * tick, retryDelay: 2 * tick };
  const timeout = Math.max(20_000, 40 * tick + 10 * arriveWithin);

  /** Waits (real time) until `count` deliveries arrived; fails after `arriveWithin`. */
  async function arrived(inbox: Inbox, count: number, what: string): Promise<void> {
    for (let waited = 0; inbox.received.length < count; waited += 5) {
      if (inbox.error !== undefined) throw inbox.error instanceof Error ? inbox.error : new Error("the consumer failed");
      if (waited >= arriveWithin) assert.fail(`${what}: expected ${count} deliveries, got ${inbox.received.length} after ${arriveWithin} ms`);
      await sleep(5);
    }
  }

  /** Waits `absentFor` real ms and checks that no more than `count` deliveries arrived. */
  async function stillAt(inbox: Inbox, count: number, what: string): Promise<void> {
    await sleep(absentFor);
    assert.equal(inbox.received.length, count, `${what}: expected ${count} deliveries, got ${inbox.received.length}`);
  }

  /** Runs `body` on a fresh queue and disposes of it whatever happens. */
  function test(title: string, body: (queue: DurableQueue<unknown>, opened: (q: DurableQueue<unknown>) => void) => Promise<void>, options: Partial<DurableQueueTestOptions> = {}): void {
    runner.it(
      title,
      async () => {
        let queue = await factory.open({ ...defaults, ...options });
        try {
          await body(queue, (reopened) => {
            queue = reopened;
          });
        } finally {
          await queue.close().catch(() => undefined);
          await factory.dispose?.(queue);
        }
      },
      timeout,
    );
  }

  const at = (inbox: Inbox, index: number): Delivery<unknown> => {
    const delivery = inbox.received[index];
    assert.ok(delivery !== undefined, `no delivery #${index}`);
    return delivery;
  };

  runner.describe(`DurableQueue conformance: ${name}`, () => {
    test("enqueue resolves once stored; a consumer gets the job with attempt 1, and ack removes it", async (queue) => {
      const enqueued = await queue.enqueue({ n: 1, text: "héllo" }, { id: "job-1" });
      assert.deepEqual(enqueued, { id: "job-1", duplicate: false });
      assert.deepEqual(await queue.depth(), { ready: 1, delayed: 0, inFlight: 0, deadLettered: 0 });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "first delivery");
      const delivery = at(inbox, 0);
      assert.equal(delivery.id, "job-1");
      assert.deepEqual(delivery.value, { n: 1, text: "héllo" });
      assert.equal(delivery.attempt, 1);
      assert.equal(delivery.priority, 0);
      assert.equal(typeof delivery.enqueuedAt, "number");
      assert.equal(delivery.lastError, undefined);
      assert.deepEqual(await queue.depth(), { ready: 0, delayed: 0, inFlight: 1, deadLettered: 0 });
      await delivery.ack();
      assert.deepEqual(await queue.depth(), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
      await stillAt(inbox, 1, "after ack");
      inbox.stop();
    });

    test("an enqueue without id gets a generated one, different each time", async (queue) => {
      const a = await queue.enqueue("a");
      const b = await queue.enqueue("b");
      assert.equal(typeof a.id, "string");
      assert.ok(a.id.length > 0);
      assert.notEqual(a.id, b.id);
      assert.equal(a.duplicate, false);
    });

    test("an id already queued, in flight or just acknowledged is a duplicate and adds nothing", async (queue) => {
      await queue.enqueue("first", { id: "same" });
      assert.deepEqual(await queue.enqueue("second", { id: "same" }), { id: "same", duplicate: true });
      assert.equal((await queue.depth()).ready, 1);
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "the one job");
      assert.deepEqual(await queue.enqueue("third", { id: "same" }), { id: "same", duplicate: true });
      await at(inbox, 0).ack();
      assert.deepEqual(await queue.enqueue("fourth", { id: "same" }), { id: "same", duplicate: true });
      await stillAt(inbox, 1, "duplicates");
      assert.equal(at(inbox, 0).value, "first");
      inbox.stop();
    });

    test("ready jobs come out by priority (higher first), then in enqueue order", async (queue) => {
      await queue.enqueue("a0", { priority: 0 });
      await queue.enqueue("b5", { priority: 5 });
      await queue.enqueue("c1", { priority: 1 });
      await queue.enqueue("d5", { priority: 5 });
      await queue.enqueue("e0");
      const inbox = new Inbox(queue);
      for (let i = 0; i < 5; i++) {
        await arrived(inbox, i + 1, `delivery ${i + 1}`);
        await at(inbox, i).ack();
      }
      assert.deepEqual(inbox.values(), ["b5", "d5", "c1", "a0", "e0"]);
      assert.deepEqual(
        inbox.received.map((d) => d.priority),
        [5, 5, 1, 0, 0],
      );
      inbox.stop();
    });

    test("a delayed job is not delivered before its delay, and is after it", async (queue) => {
      await queue.enqueue("later", { id: "later", delay: 4 * tick });
      await queue.enqueue("now", { id: "now" });
      assert.deepEqual(await queue.depth(), { ready: 1, delayed: 1, inFlight: 0, deadLettered: 0 });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 1, "the job without delay");
      assert.equal(at(inbox, 0).id, "now");
      await factory.advance(2 * tick);
      await stillAt(inbox, 1, "half way through the delay");
      await factory.advance(3 * tick);
      await arrived(inbox, 2, "the delayed job");
      assert.equal(at(inbox, 1).id, "later");
      assert.equal(at(inbox, 1).attempt, 1);
      inbox.stop();
    });

    test("an unsettled delivery is delivered again after its visibility timeout, with attempt 2", async (queue) => {
      await queue.enqueue({ k: "v" }, { id: "slow" });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 1, "first delivery");
      await factory.advance(2 * tick);
      await stillAt(inbox, 1, "before the visibility timeout");
      await factory.advance(3 * tick);
      await arrived(inbox, 2, "redelivery after the visibility timeout");
      const again = at(inbox, 1);
      assert.equal(again.id, "slow");
      assert.deepEqual(again.value, { k: "v" });
      assert.equal(again.attempt, 2);
      await again.ack();
      assert.equal((await queue.depth()).inFlight, 0);
      inbox.stop();
    });

    test("a consumer's visibilityTimeout overrides the queue's", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue, { concurrency: 2, visibilityTimeout: 2 * tick });
      await arrived(inbox, 1, "first delivery");
      await factory.advance(3 * tick);
      await arrived(inbox, 2, "redelivery after the consumer's shorter timeout");
      assert.equal(at(inbox, 1).attempt, 2);
      inbox.stop();
    });

    test("extend moves the visibility deadline", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 1, "first delivery");
      await factory.advance(3 * tick);
      await at(inbox, 0).extend(6 * tick);
      await factory.advance(3 * tick);
      await stillAt(inbox, 1, "after the original deadline, within the extension");
      await factory.advance(4 * tick);
      await arrived(inbox, 2, "redelivery after the extended deadline");
      assert.equal(at(inbox, 1).attempt, 2);
      inbox.stop();
    });

    test("nack with a delay redelivers after the delay with attempt + 1 and the error as lastError", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "first delivery");
      await at(inbox, 0).nack({ delay: 3 * tick, error: new Error("upstream 503") });
      assert.equal((await queue.depth()).delayed, 1);
      await factory.advance(tick);
      await stillAt(inbox, 1, "within the nack delay");
      await factory.advance(3 * tick);
      await arrived(inbox, 2, "redelivery after the nack delay");
      const again = at(inbox, 1);
      assert.equal(again.attempt, 2);
      assert.equal(again.lastError, "upstream 503");
      inbox.stop();
    });

    test("nack without a delay waits the queue's backoff", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "first delivery");
      await at(inbox, 0).nack();
      await stillAt(inbox, 1, "right after the nack");
      await factory.advance(3 * tick);
      await arrived(inbox, 2, "redelivery after the backoff");
      assert.equal(at(inbox, 1).attempt, 2);
      inbox.stop();
    });

    test("after maxAttempts failed attempts the job is dead-lettered with its last error, and can be redriven", async (queue) => {
      await queue.enqueue({ poison: true }, { id: "poison" });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "attempt 1");
      await at(inbox, 0).nack({ delay: 0, error: new Error("boom 1") });
      await arrived(inbox, 2, "attempt 2");
      const attempt2 = at(inbox, 1);
      assert.equal(attempt2.attempt, 2);
      assert.equal(attempt2.lastError, "boom 1");
      await attempt2.nack({ delay: 0, error: new Error("boom 2") });
      const dead = await queue.deadLetters();
      assert.equal(dead.length, 1);
      const letter = dead[0];
      assert.ok(letter !== undefined);
      assert.equal(letter.id, "poison");
      assert.deepEqual(letter.value, { poison: true });
      assert.equal(letter.attempts, 2);
      assert.equal(letter.lastError, "boom 2");
      assert.equal(typeof letter.reason, "string");
      assert.equal(typeof letter.deadLetteredAt, "number");
      assert.equal((await queue.depth()).deadLettered, 1);
      const before = inbox.received.length;
      // A dead-lettered id is still known: enqueueing it again is a duplicate.
      assert.equal((await queue.enqueue("again", { id: "poison" })).duplicate, true);
      assert.equal(await queue.redrive(["poison", "unknown"]), 1);
      await arrived(inbox, before + 1, "the redriven job");
      const redriven = at(inbox, before);
      assert.equal(redriven.id, "poison");
      assert.equal(redriven.attempt, 1);
      assert.deepEqual(await queue.deadLetters(), []);
      await redriven.ack();
      assert.deepEqual(await queue.depth(), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
      inbox.stop();
    }, { maxAttempts: 2 });

    test("deadLetter(reason) moves the job to the dead-letter queue at once; redrive() takes all", async (queue) => {
      await queue.enqueue("a", { id: "a" });
      await queue.enqueue("b", { id: "b" });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 2, "both jobs");
      await at(inbox, 0).deadLetter("schema v0 is not supported");
      await at(inbox, 1).deadLetter("second");
      const dead = await queue.deadLetters();
      assert.deepEqual(
        dead.map((d) => [d.id, d.reason, d.attempts]),
        [
          ["a", "schema v0 is not supported", 1],
          ["b", "second", 1],
        ],
      );
      assert.deepEqual(
        (await queue.deadLetters({ limit: 1 })).map((d) => d.id),
        ["a"],
      );
      assert.equal(await queue.redrive(), 2);
      await arrived(inbox, 4, "both redriven");
      assert.deepEqual(inbox.values().slice(2).sort(), ["a", "b"]);
      inbox.stop();
    });

    test("a lapse of the last attempt dead-letters the job", async (queue) => {
      await queue.enqueue("stuck", { id: "stuck" });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 1, "the only attempt");
      await factory.advance(5 * tick);
      for (let waited = 0; (await queue.depth()).deadLettered === 0 && waited < arriveWithin; waited += 5) await sleep(5);
      const dead = await queue.deadLetters();
      assert.deepEqual(
        dead.map((d) => [d.id, d.attempts]),
        [["stuck", 1]],
      );
      await stillAt(inbox, 1, "no redelivery after the last attempt");
      inbox.stop();
    }, { maxAttempts: 1 });

    test("a delivery settles once: a second ack, a nack, an extend or a deadLetter after it reject with DELIVERY_SETTLED", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "the delivery");
      const delivery = at(inbox, 0);
      await delivery.ack();
      await rejectsWith(delivery.ack(), "DELIVERY_SETTLED", "second ack");
      await rejectsWith(delivery.nack(), "DELIVERY_SETTLED", "nack after ack");
      await rejectsWith(delivery.extend(tick), "DELIVERY_SETTLED", "extend after ack");
      await rejectsWith(delivery.deadLetter("late"), "DELIVERY_SETTLED", "deadLetter after ack");
      inbox.stop();
    });

    test("a consumer holds at most `concurrency` unsettled deliveries; the next comes when one settles", async (queue) => {
      for (let i = 0; i < 5; i++) await queue.enqueue(i, { id: `j${i}` });
      const inbox = new Inbox(queue, { concurrency: 2 });
      await arrived(inbox, 2, "the first two");
      await stillAt(inbox, 2, "while both are unsettled");
      await at(inbox, 0).ack();
      await arrived(inbox, 3, "one more after an ack");
      await stillAt(inbox, 3, "two unsettled again");
      await at(inbox, 1).nack({ delay: 0 });
      await arrived(inbox, 4, "one more after a nack");
      assert.deepEqual(await queue.depth(), { ready: 2, delayed: 0, inFlight: 2, deadLettered: 0 });
      inbox.stop();
    });

    test("two consumers split the jobs: each job goes to one of them", async (queue) => {
      for (let i = 0; i < 6; i++) await queue.enqueue(i, { id: `j${i}` });
      const a = new Inbox(queue, { concurrency: 3 });
      const b = new Inbox(queue, { concurrency: 3 });
      for (let waited = 0; a.received.length + b.received.length < 6 && waited < arriveWithin; waited += 5) await sleep(5);
      const ids = [...a.received, ...b.received].map((d) => d.id).sort();
      assert.deepEqual(ids, ["j0", "j1", "j2", "j3", "j4", "j5"]);
      await stillAt(a, a.received.length, "no job twice");
      await Promise.all([...a.received, ...b.received].map((d) => d.ack()));
      assert.equal((await queue.depth()).inFlight, 0);
      a.stop();
      b.stop();
    });

    test("unsubscribing returns unsettled deliveries to the queue for another consumer", async (queue) => {
      await queue.enqueue("x", { id: "x" });
      const first = new Inbox(queue);
      await arrived(first, 1, "first consumer");
      first.stop();
      const second = new Inbox(queue);
      await arrived(second, 1, "second consumer gets the returned job");
      const delivery = at(second, 0);
      assert.equal(delivery.id, "x");
      assert.ok(delivery.attempt >= 1);
      await delivery.ack();
      second.stop();
    });

    test("depth$ emits the depth on subscribe and after changes", async (queue) => {
      const seen: { ready: number; inFlight: number }[] = [];
      const subscription = queue.depth$.subscribe((depth) => seen.push({ ready: depth.ready, inFlight: depth.inFlight }));
      assert.deepEqual(seen[0], { ready: 0, inFlight: 0 });
      await queue.enqueue("x", { id: "x" });
      const inbox = new Inbox(queue);
      await arrived(inbox, 1, "the delivery");
      await at(inbox, 0).ack();
      for (let waited = 0; seen.at(-1)?.inFlight !== 0 && waited < arriveWithin; waited += 5) await sleep(5);
      assert.ok(
        seen.some((d) => d.ready === 1),
        `depth$ showed the ready job: ${JSON.stringify(seen)}`,
      );
      assert.ok(
        seen.some((d) => d.inFlight === 1),
        `depth$ showed the job in flight: ${JSON.stringify(seen)}`,
      );
      assert.deepEqual(seen.at(-1), { ready: 0, inFlight: 0 });
      subscription.unsubscribe();
      inbox.stop();
    });

    test("a closed queue refuses enqueue with QUEUE_CLOSED", async (queue) => {
      await queue.close();
      await rejectsWith(queue.enqueue("x"), "QUEUE_CLOSED", "enqueue after close");
    });

    test("bad arguments are refused: id, delay, priority", async (queue) => {
      await assert.rejects(queue.enqueue("x", { id: "" }), RangeError);
      await assert.rejects(queue.enqueue("x", { delay: -1 }), RangeError);
      await assert.rejects(queue.enqueue("x", { priority: Number.NaN }), RangeError);
      assert.equal((await queue.depth()).ready, 0);
    });

    const reopen = factory.reopen?.bind(factory);
    if (reopen !== undefined) {
      test("jobs survive a restart: ready, delayed and dead-lettered ones, and acked ones stay gone", async (queue, opened) => {
        await queue.enqueue("acked", { id: "acked" });
        await queue.enqueue("kept", { id: "kept", priority: 2 });
        await queue.enqueue("delayed", { id: "delayed", delay: 2 * tick });
        await queue.enqueue("dead", { id: "dead" });
        const inbox = new Inbox(queue, { concurrency: 2 });
        await arrived(inbox, 2, "two jobs");
        const byId = new Map(inbox.received.map((d) => [d.id, d]));
        await byId.get("kept")?.nack({ delay: 0 });
        inbox.stop();
        const second = new Inbox(queue, { concurrency: 3 });
        await arrived(second, 3, "the rest");
        for (const d of second.received) {
          if (d.id === "acked") await d.ack();
          else if (d.id === "dead") await d.deadLetter("kept for the restart test");
        }
        second.stop();
        const reopened = await reopen(queue, { ...defaults });
        opened(reopened);
        assert.deepEqual(
          (await reopened.deadLetters()).map((d) => [d.id, d.reason]),
          [["dead", "kept for the restart test"]],
        );
        await factory.advance(3 * tick);
        const after = new Inbox(reopened, { concurrency: 4 });
        await arrived(after, 2, "after the restart");
        await stillAt(after, 2, "nothing else");
        assert.deepEqual(after.received.map((d) => d.id).sort(), ["delayed", "kept"]);
        const kept = after.received.find((d) => d.id === "kept");
        assert.ok(kept !== undefined);
        assert.equal(kept.priority, 2);
        assert.ok(kept.attempt >= 2, `attempts survive a restart (got ${kept.attempt})`);
        assert.equal((await reopened.enqueue("again", { id: "acked" })).duplicate, true);
        after.stop();
      });

      test("a delivery in flight when the queue stopped is delivered again after the restart, its attempt counted", async (queue, opened) => {
        await queue.enqueue({ n: 7 }, { id: "inflight" });
        const inbox = new Inbox(queue);
        await arrived(inbox, 1, "delivery before the restart");
        assert.equal(at(inbox, 0).attempt, 1);
        inbox.stop();
        // Unsubscribing returned it; take it again and stop with it unsettled.
        const holder = new Inbox(queue);
        await arrived(holder, 1, "held delivery");
        const reopened = await reopen(queue, { ...defaults });
        opened(reopened);
        await factory.advance(5 * tick);
        const after = new Inbox(reopened);
        await arrived(after, 1, "redelivery after the restart");
        assert.equal(at(after, 0).id, "inflight");
        assert.deepEqual(at(after, 0).value, { n: 7 });
        assert.ok(at(after, 0).attempt >= 2, `attempt after restart: ${at(after, 0).attempt}`);
        await at(after, 0).ack();
        after.stop();
      });
    }
  });
}
