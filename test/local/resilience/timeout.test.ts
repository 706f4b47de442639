import { Observable, of, take, type MonoTypeOperatorFunction, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { Deadline, LegoError, ManualClock, TimeoutPolicy, withTimeout, type LegoOperator, type TimeoutInfo } from "../../../src/index.js";

describe("withTimeout", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("errors with TIMEOUT when no value comes for `each` ms", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("--a--b--------c|");
      const op = withTimeout<string>({ each: 5, scheduler: testScheduler });
      expectObservable(source.pipe(op)).toBe("--a--b----#", undefined, new LegoError("TIMEOUT", "no value for 5 ms after 2 value(s)"));
      expectSubscriptions(source.subscriptions).toBe("^---------!");
      testScheduler.flush();
      expect(op.lego.counters.timeouts).toBe(1);
    });
  });

  it("`first` bounds only the wait for the first value", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-------a|").pipe(withTimeout({ first: 5, scheduler: testScheduler }))).toBe(
        "-----#",
        undefined,
        new LegoError("TIMEOUT", "no value within 5 ms"),
      );
      expectObservable(cold("-a--------b|").pipe(withTimeout({ first: 3, scheduler: testScheduler }))).toBe("-a--------b|");
    });
  });

  it("`each` after a longer `first` applies from the first value on", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-----|").pipe(withTimeout({ first: 10, each: 2, scheduler: testScheduler }))).toBe(
        "-a-#",
        undefined,
        new LegoError("TIMEOUT", "no value for 2 ms after 1 value(s)"),
      );
    });
  });

  it("`total` bounds the whole stream", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-a-a-a-a|").pipe(withTimeout({ policy: TimeoutPolicy.total(6), scheduler: testScheduler }))).toBe(
        "-a-a-a#",
        undefined,
        new LegoError("TIMEOUT", "not complete within 6 ms (3 value(s))"),
      );
    });
  });

  it("a propagated deadline errors with DEADLINE_EXCEEDED", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(
        cold("-a-a-a|").pipe(withTimeout({ deadline: Deadline.at(4), each: 10, scheduler: testScheduler, group: "g" })),
      ).toBe("-a-a#", undefined, new LegoError("DEADLINE_EXCEEDED", "deadline 4 passed after 2 value(s)", { group: "g" }));
    });
  });

  it("switches to `with(info)` instead of erroring", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-----a|");
      const fallback = cold("x|");
      let info: TimeoutInfo | undefined;
      const op = withTimeout<string, string>({
        first: 3,
        with: (i) => {
          info = i;
          return fallback;
        },
        scheduler: testScheduler,
      });
      expectObservable(source.pipe(op)).toBe("---x|");
      expectSubscriptions(source.subscriptions).toBe("^--!");
      expectSubscriptions(fallback.subscriptions).toBe("---^!");
      testScheduler.flush();
      expect(info).toEqual({ kind: "first", seen: 0, at: 3 });
    });
  });

  it("standard: empty", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(withTimeout({ each: 5, scheduler: testScheduler }))).toBe("|");
    });
  });

  it("standard: never times out", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(withTimeout({ each: 5, scheduler: testScheduler }))).toBe(
        "-----#",
        undefined,
        new LegoError("TIMEOUT", "no value for 5 ms after 0 value(s)"),
      );
    });
  });

  it("standard: error passes through and stops the timer", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("--#").pipe(withTimeout({ each: 5, scheduler: testScheduler }))).toBe("--#");
    });
  });

  it("standard: early unsubscribe", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-|");
      expectObservable(source.pipe(withTimeout({ each: 5, scheduler: testScheduler })), "^--!").toBe("-a-");
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("standard: stops a synchronous source after unsubscribe, and leaves no timer behind", () => {
    const clock = new ManualClock();
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const seen: number[] = [];
    source.pipe(withTimeout({ each: 5, scheduler: clock }), take(3)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([0, 1, 2]);
    expect(emitted).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it("validates when called", () => {
    expect(() => withTimeout({})).toThrow(new TypeError("options need first, each, total, policy or deadline"));
    expect(() => withTimeout({ each: 0 })).toThrow(RangeError);
    expect(() => withTimeout({ deadline: 5 as never })).toThrow(new TypeError("deadline must be a Deadline"));
    expect(() => withTimeout({ each: 1, with: 3 as never })).toThrow(TypeError);
    expect(() => withTimeout({ policy: {} })).toThrow(TypeError);
  });

  it("pins its types", () => {
    expectTypeOf(withTimeout<number>({ each: 1 })).toEqualTypeOf<LegoOperator<number, number>>();
    expectTypeOf(withTimeout<number>({ each: 1 })).toExtend<MonoTypeOperatorFunction<number>>();
    expectTypeOf(withTimeout<number, string>({ each: 1, with: () => of("x") })).toExtend<OperatorFunction<number, number | string>>();
  });
});
