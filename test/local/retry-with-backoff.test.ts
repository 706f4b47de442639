import { defer, map, Observable, Subject, take, throwError, type MonoTypeOperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  BackoffPolicy,
  ManualClock,
  RetryPolicy,
  retryWithBackoff,
  type MonoLegoOperator,
  type RetryInfo,
} from "../../src/index.js";

const boom = new Error("boom");

describe("retryWithBackoff", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("resubscribes after each error, waiting the backoff, then passes the last error on", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("--a--#", undefined, boom);
      const expected = /**/ "--a-------a-------a--#";
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(3) });
      expectObservable(source.pipe(op)).toBe(expected, undefined, boom);
      expectSubscriptions(source.subscriptions).toBe([
        "^----!",
        "--------^----!",
        "----------------^----!",
      ]);
    });
  });

  it("waits delayForAttempt before attempt n (exponential, capped)", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("#", undefined, boom);
      const backoff = BackoffPolicy.exponential({ initialDelay: 10, multiplier: 2, maxDelay: 30 });
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(5), backoff });
      // waits 10, 20, 30 (capped), 30 → attempts at 0, 10, 30, 60, 90
      expectObservable(source.pipe(op)).toBe("90ms #", undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(["(^!)", "10ms (^!)", "30ms (^!)", "60ms (^!)", "90ms (^!)"]);
    });
  });

  it("applies jitter with the backoff's random", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("#", undefined, boom);
      const backoff = BackoffPolicy.fixed(10, { jitter: "full", random: () => 0.5 });
      expectObservable(source.pipe(retryWithBackoff({ retry: RetryPolicy.attempts(2), backoff }))).toBe("5ms #", undefined, boom);
      expectSubscriptions(source.subscriptions).toBe(["(^!)", "5ms (^!)"]);
    });
  });

  it("completes with the values of the attempt that succeeds", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      let attempt = 0;
      const source = defer(() => (++attempt < 3 ? cold("-x#", undefined, boom) : cold("-a|")));
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(5) });
      // attempt 1: 0–2, wait 5, attempt 2: 7–9, wait 5, attempt 3: 14
      expectObservable(source.pipe(op)).toBe("-x------x------a|");
    });
  });

  it("passes an error retryOn refuses downstream at once, unwrapped", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const fatal = new Error("fatal");
      const source = cold("-a-#", undefined, fatal);
      const op = retryWithBackoff<string>({
        retry: RetryPolicy.attempts(5, (e) => e !== fatal),
        backoff: BackoffPolicy.fixed(1),
      });
      expectObservable(source.pipe(op)).toBe("-a-#", undefined, fatal);
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("RetryPolicy.never() makes one attempt", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-#", undefined, boom);
      const op = retryWithBackoff<string>({ retry: RetryPolicy.never(), backoff: BackoffPolicy.fixed(1) });
      expectObservable(source.pipe(op)).toBe("-#", undefined, boom);
      expectSubscriptions(source.subscriptions).toBe("^!");
    });
  });

  it("without resetOnSuccess, values do not restore the attempt budget", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a-#", undefined, boom);
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.fixed(3) });
      expectObservable(source.pipe(op)).toBe("a----a-#", undefined, boom);
    });
  });

  it("with resetOnSuccess, each value restores the attempt budget and the backoff", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a-#", undefined, boom);
      const backoff = BackoffPolicy.exponential({ initialDelay: 3, multiplier: 10 });
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(2), backoff, resetOnSuccess: true });
      // every retry is "attempt 2" again, so every wait is 3
      expectObservable(source.pipe(op), "-----------------!").toBe("a----a----a----a--");
    });
  });

  it("early unsubscribe cancels a pending wait", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a#", undefined, boom);
      const op = retryWithBackoff<string>({ retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(10) });
      expectObservable(source.pipe(op), "-----!").toBe("-a----");
      expectSubscriptions(source.subscriptions).toBe("^-!");
    });
  });

  it("unsubscribing during a wait leaves nothing scheduled on the clock", () => {
    const clock = new ManualClock();
    let subscriptions = 0;
    const source = defer(() => {
      subscriptions++;
      return throwError(() => boom);
    });
    const sub = source
      .pipe(retryWithBackoff({ retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(10), scheduler: clock }))
      .subscribe({ error: () => undefined });
    expect(clock.pending).toBe(1);
    sub.unsubscribe();
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(subscriptions).toBe(1);
  });

  it("runs on a ManualClock", () => {
    const clock = new ManualClock();
    const times: number[] = [];
    const source = defer(() => {
      times.push(clock.now());
      return throwError(() => boom);
    });
    let error: unknown;
    source
      .pipe(retryWithBackoff({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(100), scheduler: clock }))
      .subscribe({ error: (e: unknown) => (error = e) });
    clock.advance(199);
    expect(times).toEqual([0, 100]);
    expect(error).toBeUndefined();
    clock.advance(1);
    expect(times).toEqual([0, 100, 200]);
    expect(error).toBe(boom);
  });

  it("resubscribes synchronously when the wait is zero", () => {
    let subscriptions = 0;
    const source = defer(() => (++subscriptions < 4 ? throwError(() => boom) : [subscriptions]));
    const values: number[] = [];
    source.pipe(retryWithBackoff({ retry: RetryPolicy.attempts(4), backoff: BackoffPolicy.none() })).subscribe((v) => values.push(v));
    expect(values).toEqual([4]);
  });

  it("empty: completes", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(1) });
      expectObservable(cold("|").pipe(op)).toBe("|");
    });
  });

  it("never: never emits", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = retryWithBackoff<string>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(1) });
      expectObservable(cold("-").pipe(op)).toBe("-");
    });
  });

  it("passes values through unchanged", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = retryWithBackoff<number>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(1) });
      expectObservable(cold("a-b-c|", { a: 1, b: 2, c: 3 }).pipe(op)).toBe("a-b-c|", { a: 1, b: 2, c: 3 });
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    const sideEffects: number[] = [];
    const synchronous = new Observable<number>((subscriber) => {
      for (let i = 0; !subscriber.closed && i < 10; i++) {
        sideEffects.push(i);
        subscriber.next(i);
      }
    });
    synchronous
      .pipe(retryWithBackoff({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.fixed(1) }), take(3))
      .subscribe();
    expect(sideEffects).toEqual([0, 1, 2]);
  });

  it("reports each retry to onRetry and counts it", () => {
    const clock = new ManualClock();
    const infos: RetryInfo[] = [];
    const op = retryWithBackoff<never>({
      retry: RetryPolicy.attempts(3),
      backoff: BackoffPolicy.exponential({ initialDelay: 10 }),
      scheduler: clock,
      onRetry: (info) => infos.push(info),
    });
    throwError(() => boom)
      .pipe(op)
      .subscribe({ error: () => undefined });
    clock.advance(100);
    expect(infos).toEqual([
      { attempt: 2, delay: 10, error: boom },
      { attempt: 3, delay: 20, error: boom },
    ]);
    expect(op.lego.counters).toEqual({ retries: 2 });
  });

  it("passes on an error thrown by retryOn", () => {
    const odd = new Error("retryOn failed");
    const op = retryWithBackoff<never>({
      retry: RetryPolicy.attempts(3, () => {
        throw odd;
      }),
      backoff: BackoffPolicy.none(),
    });
    let error: unknown;
    throwError(() => boom)
      .pipe(op)
      .subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toBe(odd);
  });

  it("carries a RetryLoop lego descriptor", () => {
    const retry = RetryPolicy.attempts(2);
    const backoff = BackoffPolicy.none();
    expect(retryWithBackoff({ retry, backoff }).lego).toEqual({ kind: "RetryLoop" });
    expect(retryWithBackoff({ retry, backoff, group: "ambient", name: "reconnect" }).lego).toEqual({
      kind: "RetryLoop",
      name: "reconnect",
      group: "ambient",
    });
  });

  it("gives its group to a ManualClock that has none", () => {
    const clock = new ManualClock();
    retryWithBackoff({ retry: RetryPolicy.never(), backoff: BackoffPolicy.none(), scheduler: clock, group: "ambient" });
    expect(clock.group).toBe("ambient");
  });

  it("has the documented type", () => {
    const op = retryWithBackoff<number>({ retry: RetryPolicy.never(), backoff: BackoffPolicy.none() });
    expectTypeOf(op).toEqualTypeOf<MonoLegoOperator<number>>();
    expectTypeOf(op).toExtend<MonoTypeOperatorFunction<number>>();
    // T is inferred from pipe()'s context, after another operator too
    expectTypeOf(
      new Subject<string>().pipe(
        map((v) => v.length),
        retryWithBackoff({ retry: RetryPolicy.never(), backoff: BackoffPolicy.none() }),
      ),
    ).toExtend<Observable<number>>();
  });

  describe("validation (at call time)", () => {
    const retry = RetryPolicy.attempts(2);
    const backoff = BackoffPolicy.none();
    it("rejects missing options", () => {
      expect(() => retryWithBackoff(undefined as never)).toThrow(TypeError);
    });
    it("rejects a missing retry policy", () => {
      expect(() => retryWithBackoff({ backoff } as never)).toThrow(new TypeError("retry must be a RetryPolicy object"));
    });
    it("rejects a retry policy with a bad maxAttempts", () => {
      expect(() => retryWithBackoff({ retry: { maxAttempts: 0, retryOn: () => true }, backoff })).toThrow(RangeError);
      expect(() => retryWithBackoff({ retry: { maxAttempts: 0, retryOn: () => true }, backoff })).toThrow(/^retry\.maxAttempts/);
      expect(() => retryWithBackoff({ retry: { maxAttempts: "2" as never, retryOn: () => true }, backoff })).toThrow(TypeError);
    });
    it("rejects a retry policy without retryOn", () => {
      expect(() => retryWithBackoff({ retry: { maxAttempts: 2 } as never, backoff })).toThrow(/^retry\.retryOn must be a function/);
    });
    it("rejects a missing backoff policy", () => {
      expect(() => retryWithBackoff({ retry } as never)).toThrow(new TypeError("backoff must be a BackoffPolicy object"));
    });
    it("rejects a backoff with a bad field", () => {
      expect(() => retryWithBackoff({ retry, backoff: { initialDelay: -1, multiplier: 1 } })).toThrow(RangeError);
      expect(() => retryWithBackoff({ retry, backoff: { initialDelay: -1, multiplier: 1 } })).toThrow(/^backoff\.initialDelay/);
      expect(() => retryWithBackoff({ retry, backoff: { initialDelay: 1, multiplier: 0.5 } })).toThrow(/^backoff\.multiplier/);
    });
    it("rejects a bad scheduler", () => {
      expect(() => retryWithBackoff({ retry, backoff, scheduler: 5 as never })).toThrow(/^scheduler must be a SchedulerLike/);
    });
    it("rejects a non-boolean resetOnSuccess", () => {
      expect(() => retryWithBackoff({ retry, backoff, resetOnSuccess: "yes" as never })).toThrow(
        new TypeError('resetOnSuccess must be a boolean, got "yes"'),
      );
    });
    it("rejects a non-function onRetry", () => {
      expect(() => retryWithBackoff({ retry, backoff, onRetry: 1 as never })).toThrow(new TypeError("onRetry must be a function, got 1"));
    });
    it("rejects a bad group or name", () => {
      expect(() => retryWithBackoff({ retry, backoff, group: "" })).toThrow(new RangeError("group must not be empty"));
      expect(() => retryWithBackoff({ retry, backoff, name: 3 as never })).toThrow(new TypeError("name must be a string, got 3"));
    });
  });
});
