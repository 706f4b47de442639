import fc from "fast-check";
import { map, of, Subject, type Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  Cost,
  isLegoError,
  LegoError,
  ManualClock,
  rateLimit,
  RatePolicy,
  TokenBucket,
  type MonoLegoOperator,
  type RateLimitStatus,
} from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("rateLimit", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    () => rateLimit({ rate: 1, per: 3, burst: 1 }),
    () => rateLimit({ rate: 1000, burst: 1000 }),
  );

  it("delay: lossless and in order, paced by the bucket (doc example)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("abcd-------|");
      expectObservable(source.pipe(rateLimit({ rate: 1, per: 3, burst: 2 }))).toBe("ab-c--d----|");
    });
  });

  it("delay: completion waits for the queue to drain", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = rateLimit<string>({ rate: 1, per: 2, burst: 1 });
      expectObservable(cold("(abc|)").pipe(op)).toBe("a-b-(c|)");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ released: 3, delayed: 2, dropped: 0, limited: 0, invalid: 0, queued: 0 });
    });
  });

  it("drop: items without tokens are dropped and counted", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = rateLimit<string>({ rate: 1, per: 3, burst: 1, overflow: "drop" });
      expectObservable(cold("abcdefg|").pipe(op)).toBe("a--d--g|");
      testScheduler.flush();
      expect(op.lego.counters.dropped).toBe(4);
      expect(op.lego.counters.released).toBe(3);
    });
  });

  it("error: the first item without tokens fails with RATE_LIMITED", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("ab-c|");
      const op = rateLimit<string>({ rate: 1, per: 10, burst: 2, overflow: "error", group: "api" });
      expectObservable(source.pipe(op)).toBe(
        "ab-#",
        undefined,
        new LegoError("RATE_LIMITED", "rate limit of 1 per 10 ms exceeded", { group: "api" }),
      );
      expectObservable(source.pipe(op)).toBe("ab-#", undefined, expect.objectContaining({ code: "RATE_LIMITED", group: "api" }));
    });
  });

  it("a full delay queue errors with QUEUE_FULL, or drops with queueOverflow drop_newest", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("abcd|");
      expectObservable(source.pipe(rateLimit({ rate: 1, per: 5, burst: 1, maxQueued: 2 }))).toBe(
        "a--#",
        { a: "a" },
        expect.objectContaining({ code: "QUEUE_FULL" }),
      );
      const dropping = rateLimit<string>({ rate: 1, per: 5, burst: 1, maxQueued: 2, queueOverflow: "drop_newest" });
      expectObservable(source.pipe(dropping)).toBe("a----b----(c|)");
      testScheduler.flush();
      expect(dropping.lego.counters.dropped).toBe(1);
    });
  });

  it("charges each item its cost; bad costs and costs above burst are dropped, counted and reported", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const invalid: string[] = [];
      const op = rateLimit<number>({
        rate: 2,
        per: 1,
        burst: 4,
        cost: (v) => v,
        onInvalid: (item) => invalid.push(`${item.reason}:${String(item.value)}`),
      });
      // 4 takes the whole bucket; 9 can never fit; -1 and NaN are bad; 2 waits one ms
      const source = cold("a(bcde)|", { a: 4, b: 9, c: -1, d: NaN, e: 2 });
      expectObservable(source.pipe(op)).toBe("ae-----|", { a: 4, e: 2 });
      testScheduler.flush();
      expect(invalid).toEqual(["over-budget:9", "bad-cost:-1", "bad-cost:NaN"]);
      expect(op.lego.counters.invalid).toBe(3);
    });
  });

  it("Cost.bytes charges strings and buffers by length", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("ab|", { a: "xxxx", b: new Uint8Array(2) });
      expectObservable(source.pipe(rateLimit<string | Uint8Array>({ rate: 2, per: 1, burst: 4, cost: Cost.bytes }))).toBe(
        "ab|",
        { a: "xxxx", b: new Uint8Array(2) },
      );
    });
  });

  it("accepts a RatePolicy and an unlimited policy passes everything at once", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("abc|").pipe(rateLimit({ policy: RatePolicy.of({ rate: 1, per: 2, burst: 1 }) }))).toBe("a-b-(c|)");
      const unlimited = rateLimit<string>({ policy: RatePolicy.unlimited() });
      expectObservable(cold("(abc)|").pipe(unlimited)).toBe("(abc)|");
      testScheduler.flush();
      expect(unlimited.lego.counters.released).toBe(3);
    });
  });

  it("a shared bucket limits every subscription together", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bucket = new TokenBucket({ rate: 1, per: 4, burst: 1, clock: testScheduler });
      const op = rateLimit<string>({ bucket, overflow: "drop" });
      expectObservable(cold("a---b|").pipe(op)).toBe("a---b|");
      expectObservable(cold("-x--y|").pipe(op)).toBe("-----|");
    });
  });

  it("status$ reports tokens and queue depth while observed", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = rateLimit<string>({ rate: 1, per: 2, burst: 1 });
      const seen: RateLimitStatus[] = [];
      op.status$.subscribe((s) => seen.push(s));
      expectObservable(cold("ab|").pipe(op)).toBe("a-(b|)");
      testScheduler.flush();
      expect(seen).toEqual([
        { tokens: 0, queued: 0, at: 0 },
        { tokens: 0.5, queued: 1, at: 1 },
        { tokens: 0, queued: 0, at: 2 },
      ]);
    });
  });

  it("unsubscribing cancels the pending wait and the queue", () => {
    const clock = new ManualClock();
    const source = new Subject<number>();
    const out: number[] = [];
    const op = rateLimit<number>({ rate: 1, per: 100, burst: 1, scheduler: clock });
    const sub = source.pipe(op).subscribe((v) => out.push(v));
    source.next(1);
    source.next(2);
    source.next(3);
    expect(op.lego.counters.queued).toBe(2);
    sub.unsubscribe();
    expect(op.lego.counters.queued).toBe(0);
    clock.advance(1000);
    expect(out).toEqual([1]);
  });

  it("descriptor, group and validation", () => {
    const op = rateLimit({ rate: 5, group: "api" });
    expect(op.lego).toEqual({ kind: "RateLimiter", name: "api.rate_limiter", group: "api" });
    expect(() => rateLimit({})).toThrow(TypeError);
    expect(() => rateLimit({ rate: -1 })).toThrow(RangeError);
    expect(() => rateLimit({ rate: 1, overflow: "queue" as never })).toThrow(/overflow/);
    expect(() => rateLimit({ rate: 1, maxQueued: 0 })).toThrow(/maxQueued/);
    expect(() => rateLimit({ rate: 1, cost: 3 as never })).toThrow(TypeError);
    expect(() => rateLimit({ rate: 1, bucket: {} as never })).toThrow(/bucket/);
  });

  it("types: a MonoLegoOperator with status$", () => {
    const op = rateLimit<number>({ rate: 1 });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(op.status$).toEqualTypeOf<Observable<RateLimitStatus>>();
    expectTypeOf(of(1).pipe(map((v) => v * 2), rateLimit({ rate: 1 }))).toEqualTypeOf<Observable<number>>();
  });

  it("property: delay is lossless and ordered, and over any window of t ms the released cost is at most burst + rate·t/per", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 10 })), { maxLength: 120 }),
        (rate, per, burst, items) => {
          const clock = new ManualClock();
          const source = new Subject<number>();
          const released: [number, number][] = [];
          const costs = new Map<number, number>();
          let done = false;
          source
            .pipe(rateLimit<number>({ rate, per, burst, cost: (i) => costs.get(i) ?? 1, scheduler: clock, maxQueued: 1000 }))
            .subscribe({ next: (i) => released.push([clock.now(), costs.get(i)!]), complete: () => (done = true) });
          const fitting: number[] = [];
          items.forEach(([gap, cost], i) => {
            clock.advance(gap);
            const c = Math.min(cost, burst);
            costs.set(i, c);
            fitting.push(i);
            source.next(i);
          });
          source.complete();
          clock.advance(1e9);
          expect(done).toBe(true);
          expect(released.map(([, c]) => c)).toEqual(fitting.map((i) => costs.get(i)));
          for (let a = 0; a < released.length; a++) {
            let sum = 0;
            for (let b = a; b < released.length; b++) {
              sum += released[b]![1];
              expect(sum).toBeLessThanOrEqual(burst + (rate * (released[b]![0] - released[a]![0])) / per + 1e-6);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a LegoError is what RATE_LIMITED delivers", () => {
    let error: unknown;
    of(1, 2).pipe(rateLimit({ rate: 1, per: 1000, burst: 1, overflow: "error", scheduler: new ManualClock() })).subscribe({ error: (e: unknown) => (error = e) });
    expect(isLegoError(error, "RATE_LIMITED")).toBe(true);
  });
});
