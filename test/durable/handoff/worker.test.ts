/**
 * Worker / WorkerPool on the memory queue in virtual time (ManualClock):
 * ack on success, nack with backoff on failure, visibility renewed while a
 * handler runs, graceful drain on unsubscribe.
 */
import { setImmediate } from "node:timers/promises";
import { expectTypeOf } from "vitest";
import { describe, expect, it } from "vitest";
import {
  BackoffPolicy,
  ManualClock,
  MemoryDurableQueue,
  work,
  workerPool,
  type DurableQueue,
  type LegoObservable,
  type WorkOutcome,
} from "../../../src/index.js";

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await setImmediate();
};

/** A promise the test resolves or rejects by hand. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void; fail: (error: Error) => void } {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

function setup(options: { maxAttempts?: number; visibilityTimeout?: number } = {}): { clock: ManualClock; queue: MemoryDurableQueue<number> } {
  const clock = new ManualClock();
  const queue = new MemoryDurableQueue<number>({
    maxAttempts: options.maxAttempts ?? 3,
    visibilityTimeout: options.visibilityTimeout ?? 1000,
    backoff: BackoffPolicy.fixed(500),
    scheduler: clock,
  });
  return { clock, queue };
}

describe("work()", () => {
  it("acks each job the handler finishes and emits its result", async () => {
    const { clock, queue } = setup();
    await queue.enqueue(1, { id: "a" });
    await queue.enqueue(2, { id: "b" });
    const outcomes: WorkOutcome<number, number>[] = [];
    const worker = work(queue, (n) => n * 10, { scheduler: clock, group: "billing" });
    const subscription = worker.subscribe((o) => outcomes.push(o));
    await flush();
    expect(outcomes).toEqual([
      { type: "acked", id: "a", attempt: 1, value: 1, result: 10 },
      { type: "acked", id: "b", attempt: 1, value: 2, result: 20 },
    ]);
    expect(await queue.depth()).toEqual({ ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
    expect(worker.lego).toEqual({ kind: "Worker", name: "billing.worker", group: "billing" });
    expect(worker.lego.counters).toMatchObject({ started: 2, acked: 2, nacked: 0 });
    subscription.unsubscribe();
  });

  it("nacks a failing job, which comes back after the backoff and is dead-lettered after maxAttempts", async () => {
    const { clock, queue } = setup({ maxAttempts: 2 });
    await queue.enqueue(7, { id: "bad" });
    const outcomes: WorkOutcome<number, never>[] = [];
    const subscription = work(
      queue,
      (n): never => {
        throw new Error(`cannot handle ${n}`);
      },
      { scheduler: clock, backoff: BackoffPolicy.fixed(200) },
    ).subscribe((o) => outcomes.push(o));
    await flush();
    expect(outcomes.map((o) => [o.type, o.attempt])).toEqual([["nacked", 1]]);
    clock.advance(199);
    await flush();
    expect(outcomes).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(outcomes.map((o) => [o.type, o.attempt])).toEqual([
      ["nacked", 1],
      ["nacked", 2],
    ]);
    const [letter] = await queue.deadLetters();
    expect(letter).toMatchObject({ id: "bad", attempts: 2, lastError: "cannot handle 7" });
    subscription.unsubscribe();
  });

  it("renews the visibility while a slow handler runs, so the job is not delivered twice", async () => {
    const { clock, queue } = setup({ visibilityTimeout: 1000 });
    await queue.enqueue(1, { id: "slow" });
    const done = gate<number>();
    const starts: number[] = [];
    const worker = work(
      queue,
      (_n, delivery) => {
        starts.push(delivery.attempt);
        return done.promise;
      },
      { scheduler: clock, concurrency: 2 },
    );
    const outcomes: WorkOutcome<number, number>[] = [];
    const subscription = worker.subscribe((o) => outcomes.push(o));
    await flush();
    for (let t = 0; t < 10; t++) {
      clock.advance(400);
      await flush();
    }
    expect(starts).toEqual([1]);
    expect(worker.lego.counters.extended).toBeGreaterThanOrEqual(8);
    expect(queue.lego.counters.expired).toBe(0);
    done.open(5);
    await flush();
    expect(outcomes).toEqual([{ type: "acked", id: "slow", attempt: 1, value: 1, result: 5 }]);
    subscription.unsubscribe();
  });

  it("without renewal (extendEvery beyond the timeout) the job is redelivered and the late ack is refused", async () => {
    const { clock, queue } = setup({ visibilityTimeout: 1000 });
    await queue.enqueue(1, { id: "slow" });
    const first = gate<number>();
    let calls = 0;
    const outcomes: WorkOutcome<number, number>[] = [];
    const subscription = work(queue, () => (++calls === 1 ? first.promise : 2), { scheduler: clock, concurrency: 2, extendEvery: 5000 }).subscribe((o) =>
      outcomes.push(o),
    );
    await flush();
    clock.advance(1000);
    await flush();
    expect(calls).toBe(2);
    first.open(1);
    await flush();
    expect(outcomes.map((o) => [o.type, o.attempt])).toEqual([
      ["acked", 2],
      ["abandoned", 1],
    ]);
    subscription.unsubscribe();
  });

  it("runs at most `concurrency` handlers at once", async () => {
    const { clock, queue } = setup();
    for (let i = 0; i < 6; i++) await queue.enqueue(i);
    const gates = Array.from({ length: 6 }, () => gate<number>());
    let running = 0;
    let most = 0;
    const subscription = work(
      queue,
      async (n) => {
        running++;
        most = Math.max(most, running);
        const result = await gates[n]!.promise;
        running--;
        return result;
      },
      { scheduler: clock, concurrency: 3 },
    ).subscribe();
    await flush();
    expect(running).toBe(3);
    for (const g of gates) {
      g.open(0);
      await flush();
    }
    expect(most).toBe(3);
    expect(await queue.depth()).toMatchObject({ ready: 0, inFlight: 0 });
    subscription.unsubscribe();
  });

  it("on unsubscribe starts no new job, lets the running one finish and ack, and leaves the rest in the queue", async () => {
    const { clock, queue } = setup();
    for (let i = 0; i < 4; i++) await queue.enqueue(i, { id: `j${i}` });
    const gates = Array.from({ length: 4 }, () => gate<number>());
    const started: number[] = [];
    const worker = work(
      queue,
      (n) => {
        started.push(n);
        return gates[n]!.promise;
      },
      { scheduler: clock, concurrency: 2, grace: 10_000 },
    );
    const subscription = worker.subscribe();
    await flush();
    expect(started).toEqual([0, 1]);
    subscription.unsubscribe();
    gates[0]!.open(0);
    await flush();
    // j0 was acked; its freed slot got j2 from the queue, which the draining worker did not start.
    expect(started).toEqual([0, 1]);
    expect(await queue.depth()).toEqual({ ready: 1, delayed: 0, inFlight: 2, deadLettered: 0 });
    gates[1]!.open(1);
    await flush();
    expect(started).toEqual([0, 1]);
    expect(await queue.depth()).toEqual({ ready: 2, delayed: 0, inFlight: 0, deadLettered: 0 });
    expect(queue.lego.counters.acked).toBe(2);
    expect(worker.lego.counters.returned).toBeGreaterThanOrEqual(1);
    // The returned jobs did not use up an attempt.
    const next: number[] = [];
    const again = queue.consume({ concurrency: 2 }).subscribe((d) => next.push(d.attempt));
    await flush();
    expect(next).toEqual([1, 1]);
    again.unsubscribe();
  });

  it("returns a job whose handler overruns the grace period to the queue", async () => {
    const { clock, queue } = setup({ visibilityTimeout: 60_000 });
    await queue.enqueue(1, { id: "stuck" });
    const never = gate<number>();
    const subscription = work(queue, () => never.promise, { scheduler: clock, grace: 3000 }).subscribe();
    await flush();
    subscription.unsubscribe();
    clock.advance(2999);
    expect(await queue.depth()).toMatchObject({ ready: 0, inFlight: 1 });
    clock.advance(1);
    expect(await queue.depth()).toMatchObject({ ready: 1, inFlight: 0 });
    never.open(1);
    await flush();
    expect(queue.lego.counters.acked).toBe(0);
  });

  it("grace 0 returns running jobs at once", async () => {
    const { clock, queue } = setup();
    await queue.enqueue(1);
    const subscription = work(queue, () => new Promise<number>(() => undefined), { scheduler: clock, grace: 0 }).subscribe();
    await flush();
    expect((await queue.depth()).inFlight).toBe(1);
    subscription.unsubscribe();
    expect(await queue.depth()).toMatchObject({ ready: 1, inFlight: 0 });
  });

  it("completes when the queue closes and nothing runs", async () => {
    const { clock, queue } = setup();
    let completed = false;
    work(queue, (n) => n, { scheduler: clock }).subscribe({ complete: () => (completed = true) });
    await queue.close();
    expect(completed).toBe(true);
  });

  it("validates its options when called", () => {
    const { queue } = setup();
    expect(() => work(queue, (n) => n, { concurrency: 0 })).toThrow(RangeError);
    expect(() => work(queue, (n) => n, { extendEvery: -1 })).toThrow(RangeError);
    expect(() => work(queue, (n) => n, { grace: Number.NaN })).toThrow(RangeError);
    expect(() => work(queue, "nope" as unknown as (n: number) => number)).toThrow(TypeError);
    expect(() => work({} as unknown as DurableQueue<number>, (n: number) => n)).toThrow(TypeError);
    expect(() => workerPool(queue, (n) => n, { size: 0 })).toThrow(RangeError);
  });

  it("types: the outcome carries the handler's result type", () => {
    const { queue } = setup();
    expectTypeOf(work(queue, (n) => String(n))).toEqualTypeOf<LegoObservable<WorkOutcome<number, string>>>();
    expectTypeOf(workerPool(queue, (n) => Promise.resolve(n > 1), { size: 2 })).toEqualTypeOf<LegoObservable<WorkOutcome<number, boolean>>>();
  });
});

describe("workerPool()", () => {
  it("runs `size` handlers at once and describes itself as a WorkerPool", async () => {
    const { clock, queue } = setup();
    for (let i = 0; i < 5; i++) await queue.enqueue(i);
    const gates = Array.from({ length: 5 }, () => gate<number>());
    let running = 0;
    const pool = workerPool(
      queue,
      async (n) => {
        running++;
        return gates[n]!.promise;
      },
      { size: 4, scheduler: clock, group: "thumbs" },
    );
    const subscription = pool.subscribe();
    await flush();
    expect(running).toBe(4);
    expect(pool.lego).toEqual({ kind: "WorkerPool", name: "thumbs.worker_pool", group: "thumbs" });
    for (const g of gates) g.open(1);
    await flush();
    expect(pool.lego.counters.acked).toBe(5);
    subscription.unsubscribe();
  });
});
