import { EMPTY, NEVER, Observable, take, type Subscription } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  BackoffPolicy,
  isLegoError,
  LegoError,
  ManualClock,
  RetryPolicy,
  retryLoop,
  retryRunner,
  type AttemptInfo,
  type LegoObservable,
  type RetryInfo,
} from "../../src/index.js";

const boom = new Error("boom");

/** Lets settled Promises run their callbacks (no timers, no wall clock). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A Promise the test settles by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Outcome<T> {
  values: T[];
  error: unknown;
  completed: boolean;
  subscription: Subscription;
}

function collect<T>(source: Observable<T>): Outcome<T> {
  const outcome: Outcome<T> = { values: [], error: undefined, completed: false, subscription: undefined as never };
  outcome.subscription = source.subscribe({
    next: (v) => outcome.values.push(v),
    error: (e: unknown) => (outcome.error = e),
    complete: () => (outcome.completed = true),
  });
  return outcome;
}

const retry3 = RetryPolicy.attempts(3);

describe("retryLoop", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  describe("synchronous operations", () => {
    it("emits the value and completes at once", () => {
      testScheduler.run(({ expectObservable }) => {
        expectObservable(retryLoop(() => 7, { retry: retry3, backoff: BackoffPolicy.fixed(10) })).toBe("(a|)", { a: 7 });
      });
    });

    it("retries a throwing operation after each wait", () => {
      testScheduler.run(({ expectObservable }) => {
        let calls = 0;
        const read = (): number => {
          if (++calls < 3) throw boom;
          return 7;
        };
        expectObservable(retryLoop(read, { retry: retry3, backoff: BackoffPolicy.fixed(10) })).toBe("20ms (a|)", { a: 7 });
      });
    });

    it("passes the last error downstream unwrapped when attempts run out", () => {
      testScheduler.run(({ expectObservable }) => {
        const errors = [new Error("1"), new Error("2"), new Error("3")];
        let calls = 0;
        const read = (): number => {
          throw errors[calls++] ?? boom;
        };
        const backoff = BackoffPolicy.exponential({ initialDelay: 10, multiplier: 3 });
        expectObservable(retryLoop(read, { retry: retry3, backoff })).toBe("40ms #", undefined, errors[2]);
      });
    });

    it("passes an error retryOn refuses downstream after one attempt", () => {
      const fatal = new Error("fatal");
      let calls = 0;
      const outcome = collect(
        retryLoop(
          () => {
            calls++;
            throw fatal;
          },
          { retry: RetryPolicy.attempts(5, (e) => e !== fatal), backoff: BackoffPolicy.none() },
        ),
      );
      expect(outcome.error).toBe(fatal);
      expect(calls).toBe(1);
    });

    it("tells the operation its attempt number", () => {
      const seen: number[] = [];
      collect(
        retryLoop(
          ({ attempt }) => {
            seen.push(attempt);
            throw boom;
          },
          { retry: RetryPolicy.attempts(4), backoff: BackoffPolicy.none() },
        ),
      );
      expect(seen).toEqual([1, 2, 3, 4]);
    });

    it("retries with no wait synchronously and without growing the stack", () => {
      let calls = 0;
      const outcome = collect(
        retryLoop(
          () => {
            if (++calls < 100_000) throw boom;
            return calls;
          },
          { retry: RetryPolicy.forever(), backoff: BackoffPolicy.none() },
        ),
      );
      expect(outcome.values).toEqual([100_000]);
      expect(outcome.completed).toBe(true);
    });

    it("runs the operation afresh for each subscription", () => {
      let calls = 0;
      const loop = retryLoop(() => ++calls, { retry: retry3, backoff: BackoffPolicy.none() });
      expect(collect(loop).values).toEqual([1]);
      expect(collect(loop).values).toEqual([2]);
    });
  });

  describe("Observable operations", () => {
    it("passes every value of each attempt and completes with the successful one", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold("-a#", undefined, boom);
        const working = cold("-b-c|");
        const loop = retryLoop(({ attempt }) => (attempt === 1 ? failing : working), {
          retry: retry3,
          backoff: BackoffPolicy.fixed(3),
        });
        expectObservable(loop).toBe("-a----b-c|");
        expectSubscriptions(failing.subscriptions).toBe("^-!");
        expectSubscriptions(working.subscriptions).toBe("-----^---!");
      });
    });

    it("empty: completes", () => {
      testScheduler.run(({ expectObservable }) => {
        expectObservable(retryLoop(() => EMPTY, { retry: retry3, backoff: BackoffPolicy.none() })).toBe("|");
      });
    });

    it("never: never emits (without a timeout)", () => {
      testScheduler.run(({ expectObservable }) => {
        expectObservable(retryLoop(() => NEVER, { retry: retry3, backoff: BackoffPolicy.none() })).toBe("-");
      });
    });

    it("error: retried, then passed on", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const loop = retryLoop(() => cold("#", undefined, boom), { retry: retry3, backoff: BackoffPolicy.fixed(2) });
        expectObservable(loop).toBe("4ms #", undefined, boom);
      });
    });

    it("early unsubscribe: stops the attempt", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold("-a-b-c|");
        const loop = retryLoop(() => inner, { retry: retry3, backoff: BackoffPolicy.none() });
        expectObservable(loop, "--!").toBe("-a-");
        expectSubscriptions(inner.subscriptions).toBe("^-!");
      });
    });

    it("early unsubscribe: cancels a pending wait", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold("-#", undefined, boom);
        const loop = retryLoop(() => inner, { retry: retry3, backoff: BackoffPolicy.fixed(5) });
        expectObservable(loop, "---!").toBe("----");
        expectSubscriptions(inner.subscriptions).toBe("^!");
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
      retryLoop(() => synchronous, { retry: retry3, backoff: BackoffPolicy.none() })
        .pipe(take(3))
        .subscribe();
      expect(sideEffects).toEqual([0, 1, 2]);
    });
  });

  describe("per-attempt timeout", () => {
    it("fails a late attempt with a TIMEOUT LegoError and retries it", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const slow = cold("-----a|");
        const fast = cold("-b|");
        const loop = retryLoop(({ attempt }) => (attempt === 1 ? slow : fast), {
          retry: retry3,
          backoff: BackoffPolicy.fixed(2),
          timeout: 3,
        });
        expectObservable(loop).toBe("------b|");
        expectSubscriptions(slow.subscriptions).toBe("^--!");
        expectSubscriptions(fast.subscriptions).toBe("-----^-!");
      });
    });

    it("passes the TIMEOUT error on when attempts run out", () => {
      const clock = new ManualClock();
      const loop = retryLoop(() => NEVER, { retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.fixed(10), timeout: 5, scheduler: clock, group: "ambient" });
      const outcome = collect(loop);
      clock.advance(19);
      expect(outcome.error).toBeUndefined();
      clock.advance(1);
      expect(isLegoError(outcome.error, "TIMEOUT")).toBe(true);
      expect((outcome.error as LegoError).message).toBe("attempt 2 timed out after 5 ms");
      expect((outcome.error as LegoError).group).toBe("ambient");
      expect(loop.lego.counters).toEqual({ attempts: 2, retries: 1, timeouts: 2 });
      expect(clock.pending).toBe(0);
    });

    it("lets the retry policy refuse timeouts like any error", () => {
      const clock = new ManualClock();
      let calls = 0;
      const outcome = collect(
        retryLoop(
          () => {
            calls++;
            return NEVER;
          },
          {
            retry: RetryPolicy.attempts(5, (e) => !isLegoError(e, "TIMEOUT")),
            backoff: BackoffPolicy.none(),
            timeout: 5,
            scheduler: clock,
          },
        ),
      );
      clock.advance(100);
      expect(calls).toBe(1);
      expect(isLegoError(outcome.error, "TIMEOUT")).toBe(true);
    });

    it("aborts the attempt's signal with the TIMEOUT error", () => {
      const clock = new ManualClock();
      const signals: AbortSignal[] = [];
      collect(
        retryLoop(
          ({ signal }) => {
            signals.push(signal);
            return NEVER;
          },
          { retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.fixed(10), timeout: 5, scheduler: clock },
        ),
      );
      clock.advance(5);
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      expect(isLegoError(signals[0]!.reason, "TIMEOUT")).toBe(true);
      clock.advance(10);
      expect(signals).toHaveLength(2);
      expect(signals[1]!.aborted).toBe(false);
    });

    it("does not time out an attempt that completed in time", () => {
      const clock = new ManualClock();
      const loop = retryLoop(() => Promise.resolve(1), { retry: retry3, backoff: BackoffPolicy.none(), timeout: 5, scheduler: clock });
      const outcome = collect(loop);
      return flush().then(() => {
        expect(outcome.values).toEqual([1]);
        expect(outcome.completed).toBe(true);
        expect(clock.pending).toBe(0);
        clock.advance(10);
        expect(loop.lego.counters).toEqual({ attempts: 1, retries: 0, timeouts: 0 });
      });
    });
  });

  describe("Promise operations", () => {
    it("emits the resolved value and completes", async () => {
      const outcome = collect(retryLoop(() => Promise.resolve("ok"), { retry: retry3, backoff: BackoffPolicy.none() }));
      expect(outcome.values).toEqual([]);
      await flush();
      expect(outcome.values).toEqual(["ok"]);
      expect(outcome.completed).toBe(true);
    });

    it("retries a rejection after the backoff wait", async () => {
      const clock = new ManualClock();
      const times: number[] = [];
      const outcome = collect(
        retryLoop(
          ({ attempt }) => {
            times.push(clock.now());
            return attempt < 3 ? Promise.reject(boom) : Promise.resolve(attempt);
          },
          { retry: retry3, backoff: BackoffPolicy.exponential({ initialDelay: 100 }), scheduler: clock },
        ),
      );
      await flush();
      clock.advance(100);
      await flush();
      clock.advance(199);
      await flush();
      expect(times).toEqual([0, 100]);
      clock.advance(1);
      await flush();
      expect(times).toEqual([0, 100, 300]);
      expect(outcome.values).toEqual([3]);
      expect(outcome.completed).toBe(true);
    });

    it("ignores a Promise that settles after its attempt timed out", async () => {
      const clock = new ManualClock();
      const first = deferred<string>();
      const outcome = collect(
        retryLoop(({ attempt }) => (attempt === 1 ? first.promise : Promise.resolve("second")), {
          retry: retry3,
          backoff: BackoffPolicy.fixed(10),
          timeout: 5,
          scheduler: clock,
        }),
      );
      clock.advance(5);
      first.resolve("late");
      await flush();
      expect(outcome.values).toEqual([]);
      clock.advance(10);
      await flush();
      expect(outcome.values).toEqual(["second"]);
    });

    it("ignores a Promise that settles after unsubscribe, and aborts its signal", async () => {
      const pending = deferred<string>();
      let signal: AbortSignal | undefined;
      const outcome = collect(
        retryLoop(
          (info: AttemptInfo) => {
            signal = info.signal;
            return pending.promise;
          },
          { retry: retry3, backoff: BackoffPolicy.none() },
        ),
      );
      outcome.subscription.unsubscribe();
      expect(signal?.aborted).toBe(true);
      expect(isLegoError(signal?.reason, "ABORTED")).toBe(true);
      pending.resolve("late");
      await flush();
      expect(outcome.values).toEqual([]);
      expect(outcome.completed).toBe(false);
    });
  });

  describe("cancellation by AbortSignal", () => {
    it("errors with ABORTED at once, without running, when already aborted", () => {
      const controller = new AbortController();
      controller.abort("stop");
      let calls = 0;
      const outcome = collect(
        retryLoop(() => ++calls, { retry: retry3, backoff: BackoffPolicy.none(), signal: controller.signal, group: "ambient" }),
      );
      expect(calls).toBe(0);
      expect(isLegoError(outcome.error, "ABORTED")).toBe(true);
      expect((outcome.error as LegoError).cause).toBe("stop");
      expect((outcome.error as LegoError).group).toBe("ambient");
    });

    it("cancels a pending wait and errors with ABORTED", () => {
      const clock = new ManualClock();
      const controller = new AbortController();
      let calls = 0;
      const outcome = collect(
        retryLoop(
          () => {
            calls++;
            throw boom;
          },
          { retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(50), scheduler: clock, signal: controller.signal },
        ),
      );
      clock.advance(20);
      expect(clock.pending).toBe(1);
      controller.abort();
      expect(clock.pending).toBe(0);
      expect(isLegoError(outcome.error, "ABORTED")).toBe(true);
      clock.advance(100);
      expect(calls).toBe(1);
    });

    it("abandons a running attempt: its signal aborts with the same error", () => {
      const clock = new ManualClock();
      const controller = new AbortController();
      let attemptSignal: AbortSignal | undefined;
      const outcome = collect(
        retryLoop(
          ({ signal }) => {
            attemptSignal = signal;
            return NEVER;
          },
          { retry: retry3, backoff: BackoffPolicy.none(), timeout: 10, scheduler: clock, signal: controller.signal },
        ),
      );
      controller.abort(new Error("user"));
      expect(attemptSignal?.reason).toBe(outcome.error);
      expect(isLegoError(outcome.error, "ABORTED")).toBe(true);
      expect(clock.pending).toBe(0);
    });

    it("is never retried", () => {
      const controller = new AbortController();
      let calls = 0;
      const outcome = collect(
        retryLoop(
          () => {
            calls++;
            controller.abort();
            return NEVER;
          },
          { retry: RetryPolicy.forever(), backoff: BackoffPolicy.none(), signal: controller.signal },
        ),
      );
      expect(calls).toBe(1);
      expect(isLegoError(outcome.error, "ABORTED")).toBe(true);
    });

    it("stops listening to the signal once done", () => {
      const controller = new AbortController();
      const outcome = collect(retryLoop(() => 1, { retry: retry3, backoff: BackoffPolicy.none(), signal: controller.signal }));
      controller.abort();
      expect(outcome.error).toBeUndefined();
      expect(outcome.completed).toBe(true);
    });
  });

  it("reports retries to onRetry and counts attempts and retries", () => {
    const infos: RetryInfo[] = [];
    const loop = retryLoop(
      () => {
        throw boom;
      },
      { retry: retry3, backoff: BackoffPolicy.none(), onRetry: (i) => infos.push(i) },
    );
    collect(loop);
    expect(infos).toEqual([
      { attempt: 2, delay: 0, error: boom },
      { attempt: 3, delay: 0, error: boom },
    ]);
    expect(loop.lego.counters).toEqual({ attempts: 3, retries: 2, timeouts: 0 });
  });

  it("passes on an error thrown by retryOn", () => {
    const odd = new Error("odd");
    const outcome = collect(
      retryLoop(
        () => {
          throw boom;
        },
        {
          retry: RetryPolicy.attempts(3, () => {
            throw odd;
          }),
          backoff: BackoffPolicy.none(),
        },
      ),
    );
    expect(outcome.error).toBe(odd);
  });

  it("passes on the RangeError of a backoff that overflows without maxDelay", () => {
    const clock = new ManualClock();
    const overflowing = collect(
      retryLoop(
        () => {
          throw boom;
        },
        { retry: RetryPolicy.attempts(5), backoff: BackoffPolicy.exponential({ initialDelay: 1, multiplier: 1e300 }), scheduler: clock },
      ),
    );
    clock.advance(1); // attempt 2 fails; attempt 3 waits 1e300 ms
    expect(overflowing.error).toBeUndefined();
    clock.advance(1e300);
    expect(overflowing.error).toBeInstanceOf(RangeError);
    expect((overflowing.error as RangeError).message).toMatch(/overflows/);
  });

  it("carries a RetryLoop lego descriptor", () => {
    const options = { retry: retry3, backoff: BackoffPolicy.none() };
    const loop = retryLoop(() => 1, options);
    expect(() => {
      (loop as unknown as { lego: unknown }).lego = null;
    }).toThrow(TypeError);
    expect(loop.lego.kind).toBe("RetryLoop");
    expect(retryLoop(() => 1, options).lego).toEqual({ kind: "RetryLoop" });
    expect(retryLoop(() => 1, { ...options, group: "ambient", name: "read" }).lego).toEqual({
      kind: "RetryLoop",
      name: "read",
      group: "ambient",
    });
  });

  it("has the documented types", () => {
    const options = { retry: retry3, backoff: BackoffPolicy.none() };
    expectTypeOf(retryLoop(() => 1, options)).toEqualTypeOf<LegoObservable<number>>();
    expectTypeOf(retryLoop(() => Promise.resolve("a"), options)).toEqualTypeOf<LegoObservable<string>>();
    expectTypeOf(retryLoop(() => new Observable<boolean>(), options)).toEqualTypeOf<LegoObservable<boolean>>();
  });

  describe("validation (at call time)", () => {
    const retry = retry3;
    const backoff = BackoffPolicy.none();
    it("rejects a non-function operation", () => {
      expect(() => retryLoop(5 as never, { retry, backoff })).toThrow(new TypeError("operation must be a function, got 5"));
    });
    it("rejects missing policies", () => {
      expect(() => retryLoop(() => 1, { backoff } as never)).toThrow(new TypeError("retry must be a RetryPolicy object"));
      expect(() => retryLoop(() => 1, { retry } as never)).toThrow(new TypeError("backoff must be a BackoffPolicy object"));
    });
    it("rejects a non-number timeout", () => {
      expect(() => retryLoop(() => 1, { retry, backoff, timeout: "1" as never })).toThrow(new TypeError('timeout must be a number, got "1"'));
    });
    it.each([0, -1, NaN, Infinity])("rejects timeout %s", (timeout) => {
      expect(() => retryLoop(() => 1, { retry, backoff, timeout })).toThrow(RangeError);
      expect(() => retryLoop(() => 1, { retry, backoff, timeout })).toThrow(/^timeout/);
    });
    it("rejects a signal that is not an AbortSignal", () => {
      expect(() => retryLoop(() => 1, { retry, backoff, signal: {} as never })).toThrow(new TypeError("signal must be an AbortSignal"));
    });
  });
});

describe("retryRunner", () => {
  it("runs many operations under one set of policies and one descriptor", () => {
    const runner = retryRunner({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.none(), group: "ambient" });
    let calls = 0;
    const first = collect(
      runner.run(() => {
        if (++calls === 1) throw boom;
        return "a";
      }),
    );
    const second = collect(runner.run(() => "b"));
    expect(first.values).toEqual(["a"]);
    expect(second.values).toEqual(["b"]);
    expect(runner.lego).toEqual({ kind: "RetryLoop", group: "ambient" });
    expect(runner.lego.counters).toEqual({ attempts: 3, retries: 1, timeouts: 0 });
    expect(runner.run(() => 1).lego).toBe(runner.lego);
  });

  it("reports every retry of every run on events$", () => {
    const runner = retryRunner({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.none() });
    const events: RetryInfo[] = [];
    runner.events$.subscribe((e) => events.push(e));
    const failing = (): never => {
      throw boom;
    };
    collect(runner.run(failing));
    collect(runner.run(failing));
    expect(events).toEqual([
      { attempt: 2, delay: 0, error: boom },
      { attempt: 2, delay: 0, error: boom },
    ]);
  });

  it("lets a run override the runner's signal", () => {
    const aborted = new AbortController();
    aborted.abort();
    const runner = retryRunner({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.none(), signal: aborted.signal });
    expect(isLegoError(collect(runner.run(() => 1)).error, "ABORTED")).toBe(true);
    expect(collect(runner.run(() => 1, new AbortController().signal)).values).toEqual([1]);
  });

  it("validates at creation and per run", () => {
    expect(() => retryRunner({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.none(), timeout: -1 })).toThrow(/^timeout/);
    const runner = retryRunner({ retry: RetryPolicy.attempts(2), backoff: BackoffPolicy.none() });
    expect(() => runner.run(null as never)).toThrow(/^operation must be a function/);
    expect(() => runner.run(() => 1, "x" as never)).toThrow(new TypeError("signal must be an AbortSignal"));
  });
});
