import { Observable, take, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  Deadline,
  dropExpired,
  LegoError,
  ManualClock,
  stampDeadline,
  withDeadline,
  type Deadlined,
  type ExpiredValue,
  type MonoLegoOperator,
} from "../../../src/index.js";

describe("stampDeadline / withDeadline", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("stamps each value with a deadline ms from when it passes", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a---b|").pipe(stampDeadline({ ms: 3, scheduler: testScheduler }))).toBe("-A---B|", {
        A: { value: "a", deadline: Deadline.at(4) },
        B: { value: "b", deadline: Deadline.at(8) },
      });
    });
  });

  it("drops and reports expired values; in-time and deadline-less values pass", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const A = { value: "a", deadline: Deadline.at(5) };
      const B = { value: "b", deadline: Deadline.at(2) };
      const C = { value: "c" };
      const expired: ExpiredValue<unknown>[] = [];
      const op = withDeadline<object>({ onExpired: (e) => expired.push(e), scheduler: testScheduler });
      expectObservable(cold("-A--B--C|", { A, B, C }).pipe(op)).toBe("-A-----C|", { A, C });
      testScheduler.flush();
      expect(expired).toEqual([{ value: B, deadline: B.deadline, now: 4 }]);
      expect(op.lego.counters).toEqual({ passed: 2, expired: 1 });
    });
  });

  it("a value is expired exactly at its deadline", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const at3 = { value: 1, deadline: Deadline.at(3) };
      expectObservable(cold("--a-b|", { a: at3, b: at3 }).pipe(dropExpired({ scheduler: testScheduler }))).toBe("--a--|", { a: at3 });
    });
  });

  it("expired: error errors with DEADLINE_EXCEEDED", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a--b--|", { a: { deadline: Deadline.at(9) }, b: { deadline: Deadline.at(1) } });
      expectObservable(source.pipe(withDeadline({ expired: "error", scheduler: testScheduler, group: "g" }))).toBe(
        "-a--#",
        { a: { deadline: Deadline.at(9) } },
        new LegoError("DEADLINE_EXCEEDED", "deadline 1 passed (now 4)", { group: "g" }),
      );
      expectSubscriptions(source.subscriptions).toBe("^---!");
    });
  });

  it("reads deadlines with deadlineOf", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = withDeadline<number>({ deadlineOf: (n) => Deadline.at(n), scheduler: testScheduler });
      expectObservable(cold("--abc|", { a: 1, b: 5, c: 3 }).pipe(op)).toBe("---b-|", { b: 5 });
    });
  });

  it("carries a budget through a slow stage", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const clock = testScheduler;
      const result = cold("a-b|").pipe(
        stampDeadline<string>({ ms: 2, scheduler: clock }),
        (source: Observable<Deadlined<string>>) =>
          new Observable<Deadlined<string>>((s) => source.subscribe({ next: (v) => clock.schedule(() => s.next(v), v.value === "a" ? 1 : 3), complete: () => clock.schedule(() => s.complete(), 5) })),
        withDeadline({ scheduler: clock }),
      );
      expectObservable(result).toBe("-a------|", { a: { value: "a", deadline: Deadline.at(2) } });
    });
  });

  it("standard: empty, never, error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(withDeadline({ scheduler: testScheduler }))).toBe("|");
      expectObservable(cold("-").pipe(withDeadline({ scheduler: testScheduler }))).toBe("-");
      expectObservable(cold("--#").pipe(withDeadline({ scheduler: testScheduler }))).toBe("--#");
      expectObservable(cold("--#").pipe(stampDeadline({ ms: 1, scheduler: testScheduler }))).toBe("--#");
    });
  });

  it("standard: early unsubscribe", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-|", { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(withDeadline({ scheduler: testScheduler })), "^--!").toBe("-a-", { a: 1 });
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("standard: stops a synchronous source after unsubscribe", () => {
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        emitted++;
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const seen: unknown[] = [];
    source.pipe(stampDeadline({ ms: 5, scheduler: new ManualClock() }), withDeadline({ scheduler: new ManualClock() }), take(3)).subscribe((v) => seen.push(v));
    expect(seen).toHaveLength(3);
    expect(emitted).toBe(3);
  });

  it("validates when called", () => {
    expect(() => stampDeadline(-1)).toThrow(new RangeError("ms must be a finite number >= 0, got -1"));
    expect(() => stampDeadline({ ms: "1" as never })).toThrow(TypeError);
    expect(() => withDeadline({ expired: "ignore" as never })).toThrow(RangeError);
    expect(() => withDeadline({ onExpired: 1 as never })).toThrow(TypeError);
    expect(() => withDeadline({ deadlineOf: "x" as never })).toThrow(TypeError);
    expect(() => dropExpired(null as never)).toThrow(TypeError);
  });

  it("pins its types", () => {
    expectTypeOf(stampDeadline<number>(5)).toExtend<OperatorFunction<number, Deadlined<number>>>();
    expectTypeOf(withDeadline<Deadlined<number>>()).toEqualTypeOf<MonoLegoOperator<Deadlined<number>>>();
    expectTypeOf(dropExpired<string>()).toEqualTypeOf<MonoLegoOperator<string>>();
  });
});
