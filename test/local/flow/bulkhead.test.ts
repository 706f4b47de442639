import { from, map, mergeMap, Observable, of, Subject, timer, type Observable as Obs } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { bulkhead, ConcurrencyPolicy, LegoError, type LegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("bulkhead", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    () => bulkhead((v: string) => timer(2).pipe(map(() => v)), { limit: 1, queue: 5 }),
    () => bulkhead((v: number) => of(v), { limit: 2 }),
  );

  it("runs at most limit at once, the rest wait in the bounded queue; overflow rejects (doc example)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = bulkhead((v: string) => timer(3).pipe(map(() => v.toUpperCase())), { limit: 1, queue: 1 });
      expectObservable(cold("abc-------|").pipe(op)).toBe("---A--B---|");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ running: 0, queued: 0, started: 2, completed: 2, rejected: 1, dropped: 0 });
    });
  });

  it("matches mergeMap(work, limit) when the queue is large enough", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = (v: string): Obs<string> => timer(v === "a" ? 5 : 2).pipe(map(() => v));
      const source = cold("abcd----|");
      expectObservable(source.pipe(bulkhead(work, { limit: 2, queue: 10 }))).toEqual(cold("abcd----|").pipe(mergeMap(work, 2)));
    });
  });

  it("limit 2: completion order, and the output completes when all work is done", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = (v: string): Obs<string> => timer(v === "a" ? 5 : 2).pipe(map(() => v));
      expectObservable(cold("(abcd|)").pipe(bulkhead(work, { limit: 2, queue: 10 }))).toBe("--b-ca(d|)");
    });
  });

  it("drop_oldest evicts the longest-waiting value", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = bulkhead((v: string) => timer(3).pipe(map(() => v)), { limit: 1, queue: 1, overflow: "drop_oldest" });
      expectObservable(cold("abc|").pipe(op)).toBe("---a--(c|)");
      testScheduler.flush();
      expect(op.lego.counters.dropped).toBe(1);
    });
  });

  it("overflow error fails with QUEUE_FULL", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = bulkhead((v: string) => timer(3).pipe(map(() => v)), { policy: ConcurrencyPolicy.of({ limit: 1, queue: 0, overflow: "error" }), group: "api" });
      expectObservable(cold("ab|").pipe(op)).toBe(
        "-#",
        undefined,
        new LegoError("QUEUE_FULL", "bulkhead queue is full (limit 1, queue 0)", { group: "api" }),
      );
    });
  });

  it("an error from work goes downstream and cancels the other running work", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold("-----x|");
      const op = bulkhead((v: string) => (v === "b" ? cold("--#") : slow), { limit: 2 });
      expectObservable(cold("ab|").pipe(op)).toBe("---#");
      expectSubscriptions(slow.subscriptions).toBe("^--!");
    });
  });

  it("unsubscribing cancels running work and empties the queue", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold("----x|");
      const op = bulkhead(() => inner, { limit: 2, queue: 5 });
      expectObservable(cold("abc|").pipe(op), "^-!").toBe("---");
      expectSubscriptions(inner.subscriptions).toBe(["^-!", "-^!"]);
      testScheduler.flush();
      expect(op.lego.counters.running).toBe(0);
      expect(op.lego.counters.queued).toBe(0);
    });
  });

  it("a throwing work function errors the stream", () => {
    const errors: unknown[] = [];
    of(1)
      .pipe(
        bulkhead(() => {
          throw new Error("bad");
        }, { limit: 1 }),
      )
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors).toEqual([new Error("bad")]);
  });

  it("a long queue of synchronous work does not grow the stack", () => {
    const gate = new Subject<number>();
    const n = 50_000;
    let out = 0;
    let done = false;
    from(Array.from({ length: n }, (_, i) => i))
      .pipe(bulkhead((i: number) => (i === 0 ? gate : of(i)), { limit: 1, queue: n }))
      .subscribe({ next: () => out++, complete: () => (done = true) });
    gate.complete();
    expect(out).toBe(n - 1);
    expect(done).toBe(true);
  });

  it("takes Promises", async () => {
    const results: number[] = [];
    await new Promise<void>((resolve) => {
      from([1, 2, 3])
        .pipe(bulkhead((v: number) => Promise.resolve(v * 10), { limit: 2, queue: 5 }))
        .subscribe({ next: (v) => results.push(v), complete: resolve });
    });
    expect(results.sort()).toEqual([10, 20, 30]);
  });

  it("Promise work: a rejection errors the stream; a result arriving after unsubscribe is ignored", async () => {
    let error: unknown;
    from([1])
      .pipe(bulkhead(() => Promise.reject(new Error("no")), { limit: 1 }))
      .subscribe({ error: (e: unknown) => (error = e) });
    await Promise.resolve();
    await Promise.resolve();
    expect(error).toEqual(new Error("no"));

    let release!: (v: number) => void;
    const pending = new Promise<number>((resolve) => (release = resolve));
    const out: number[] = [];
    const op = bulkhead(() => pending, { limit: 1, queue: 1 });
    const sub = from([1, 2]).pipe(op).subscribe((v) => out.push(v));
    expect([op.lego.counters.running, op.lego.counters.queued]).toEqual([1, 1]);
    sub.unsubscribe();
    release(5);
    await pending;
    await Promise.resolve();
    expect(out).toEqual([]);
    expect(op.lego.counters).toEqual({ running: 0, queued: 0, started: 1, completed: 0, rejected: 0, dropped: 0 });
  });

  it("descriptor, validation and types", () => {
    const op = bulkhead((v: number) => of(String(v)), { limit: 2, group: "db" });
    expect(op.lego).toEqual({ kind: "Semaphore", name: "db.bulkhead", group: "db" });
    expectTypeOf(op).toEqualTypeOf<LegoOperator<number, string>>();
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<string>>();
    expect(() => bulkhead(undefined as never, { limit: 1 })).toThrow(TypeError);
    expect(() => bulkhead(() => of(1), { limit: 0 })).toThrow(/limit/);
    expect(() => bulkhead(() => of(1), { limit: 1, queue: -1 })).toThrow(/queue/);
    expect(() => bulkhead(() => of(1), { limit: 1, overflow: "block" as never })).toThrow(/overflow/);
  });
});
