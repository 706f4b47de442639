import { Observable, of } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ManualClock, Sampler, sampler, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("Sampler", () => {
  it("every n-th, starting with the first (doc example)", () => {
    const s = new Sampler({ every: 3 });
    expect([1, 2, 3, 4, 5, 6, 7].filter(() => s.accepts())).toEqual([1, 4, 7]);
    s.reset();
    expect(s.accepts()).toBe(true);
  });

  it("at most one per period, read from the clock", () => {
    const clock = new ManualClock();
    const s = new Sampler({ period: 10, clock });
    expect(s.accepts()).toBe(true);
    clock.advance(9);
    expect(s.accepts()).toBe(false);
    clock.advance(1);
    expect(s.accepts()).toBe(true);
  });

  it("probability with an injected random", () => {
    const draws = [0.1, 0.6, 0.49, 0.5];
    const s = new Sampler({ probability: 0.5, random: () => draws.shift()! });
    expect([s.accepts(), s.accepts(), s.accepts(), s.accepts()]).toEqual([true, false, true, false]);
  });

  it("validates: exactly one mode, ranges", () => {
    expect(() => new Sampler({})).toThrow(/exactly one/);
    expect(() => new Sampler({ every: 2, period: 5 })).toThrow(/exactly one/);
    expect(() => new Sampler({ every: 0 })).toThrow(/every/);
    expect(() => new Sampler({ probability: 1.5 })).toThrow(/probability/);
    expect(() => new Sampler({ period: 5, pick: "last" as never })).toThrow(/pick/);
  });
});

describe("sampler", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    () => sampler({ period: 3, pick: "latest" }),
    () => sampler({ every: 2 }),
  );

  it("every n-th (doc example)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = sampler<string>({ every: 3 });
      expectObservable(cold("abcdefg|").pipe(op)).toBe("a--d--g|");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ kept: 3, dropped: 4 });
    });
  });

  it("period, first: the first of each period at once", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("abc-de-f--g|").pipe(sampler({ period: 4 }))).toBe("a---d-----g|");
    });
  });

  it("period, latest: the latest at each period's end; a pending value is emitted before completion (doc example)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("ab-c---d|").pipe(sampler({ period: 3, pick: "latest" }))).toBe("---c----(d|)");
    });
  });

  it("descriptor and types", () => {
    const op = sampler<number>({ every: 2, group: "uplink" });
    expect(op.lego).toEqual({ kind: "Sampler", name: "uplink.sampler", group: "uplink" });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<number>>();
    expect(() => sampler({ period: -1 })).toThrow(RangeError);
  });
});
