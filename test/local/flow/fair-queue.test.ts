import fc from "fast-check";
import { Observable, of, range } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { fairQueue, FairnessPolicy, WeightedFairQueue, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("WeightedFairQueue", () => {
  it("round robin across keys with equal weights, FIFO within a key", () => {
    const q = new WeightedFairQueue<string>({ perKey: 10 });
    for (const v of ["a1", "a2", "a3", "b1", "c1", "c2"]) q.offer(v[0]!, v);
    const out: (string | undefined)[] = [];
    while (q.size > 0) out.push(q.take());
    expect(out).toEqual(["a1", "b1", "c1", "a2", "c2", "a3"]);
    expect(q.take()).toBeUndefined();
    expect(q.keys).toBe(0);
  });

  it("weights give proportional turns (doc example)", () => {
    const q = new WeightedFairQueue<string>({ perKey: 10, fairness: FairnessPolicy.weighted({ weights: { a: 2 } }) });
    for (const v of ["a1", "a2", "a3", "a4"]) q.offer("a", v);
    q.offer("b", "b1");
    q.offer("b", "b2");
    expect([q.take(), q.take(), q.take(), q.take()]).toEqual(["a1", "a2", "b1", "a3"]);
  });

  it("per-key bounds and maxKeys", () => {
    const q = new WeightedFairQueue<number>({ perKey: 2, maxKeys: 2, overflow: "drop_oldest" });
    expect([q.offer("a", 1), q.offer("a", 2), q.offer("a", 3)]).toEqual(["queued", "queued", "evicted"]);
    expect(q.offer("b", 1)).toBe("queued");
    expect(q.offer("c", 1)).toBe("refused");
    expect([q.depthOf("a"), q.depthOf("c"), q.dropped, q.rejected]).toEqual([2, 0, 1, 1]);
    expect(q.clear()).toBe(3);
  });

  it("validates its options", () => {
    expect(() => new WeightedFairQueue({ perKey: 0 })).toThrow(/perKey/);
    expect(() => FairnessPolicy.weighted({ weights: { a: 0 } })).toThrow(/weights.a/);
    expect(() => FairnessPolicy.weighted({ defaultWeight: -1 })).toThrow(/defaultWeight/);
  });

  it("property: while every key is backlogged, each key's share of n releases is within 1 + its weight of weight·n/Σweights", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 60 }), (weights, n) => {
        const keys = weights.map((_, i) => `k${i}`);
        const fairness = FairnessPolicy.weighted({ weights: Object.fromEntries(keys.map((k, i) => [k, weights[i]!])) });
        const q = new WeightedFairQueue<string>({ perKey: 1000, fairness });
        for (const k of keys) for (let i = 0; i < 500; i++) q.offer(k, k);
        const counts = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          const k = q.take()!;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        const total = weights.reduce((a, b) => a + b, 0);
        keys.forEach((k, i) => {
          expect(Math.abs((counts.get(k) ?? 0) - (weights[i]! * n) / total)).toBeLessThanOrEqual(1 + weights[i]!);
        });
      }),
    );
  });
});

describe("fairQueue", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    ({ hot }) => fairQueue({ key: (v: string) => v, perKey: 2, demand: hot("-x-x-x-x") }),
    () => fairQueue({ key: (v: number) => v % 3, perKey: 2, demand: range(0, 100), maxOutstanding: 100 }),
  );

  it("a flood from one key does not starve another", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const values = { a: "a1", b: "a2", c: "a3", d: "b1" };
      const demand = hot("--x-x-x-x");
      const op = fairQueue<string>({ key: (v) => v[0]!, perKey: 4, demand });
      expectObservable(cold("(abcd)----|", values).pipe(op)).toBe("--a-d-b-c-|", values);
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ depth: 0, keys: 0, enqueued: 4, released: 4, dropped: 0, rejected: 0, invalid: 0 });
    });
  });

  it("bad keys are dropped, counted and reported", () => {
    const invalid: string[] = [];
    const out: unknown[] = [];
    of({ k: "a" }, { k: undefined }, { k: 2 })
      .pipe(
        fairQueue({
          key: (v: { k: unknown }) => v.k as string,
          perKey: 2,
          demand: range(0, 5),
          maxOutstanding: 5,
          onInvalid: (i) => invalid.push(i.reason),
        }),
      )
      .subscribe((v) => out.push(v));
    expect(out).toEqual([{ k: "a" }, { k: 2 }]);
    expect(invalid).toEqual(["bad-key"]);
  });

  it("overflow error fails with QUEUE_FULL", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = fairQueue<string>({ key: () => "k", perKey: 1, overflow: "error", demand: hot("-----x") });
      expectObservable(cold("ab|").pipe(op)).toBe("-#", undefined, expect.objectContaining({ code: "QUEUE_FULL" }));
    });
  });

  it("descriptor and types", () => {
    const op = fairQueue<number>({ key: (v) => v, perKey: 1, demand: 5, group: "tenants" });
    expect(op.lego).toEqual({ kind: "FairnessPolicy", name: "tenants.fair_queue", group: "tenants" });
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<number>>();
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expect(() => fairQueue({ key: "k" as never, perKey: 1, demand: 1 })).toThrow(TypeError);
  });
});
