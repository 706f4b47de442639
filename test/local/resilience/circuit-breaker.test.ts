import { catchError, defer, map, mergeMap, Observable, of, retry, Subject, take, throwError, type MonoTypeOperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  BackoffPolicy,
  CircuitBreaker,
  circuitBreaker,
  isLegoError,
  ManualClock,
  ThresholdPolicy,
  type CircuitBreakerOperator,
  type CircuitBreakerSnapshot,
  type CircuitState,
  type LegoError,
} from "../../../src/index.js";

const boom = new Error("boom");
const codeOf = (e: unknown): string => (isLegoError(e) ? e.code : e === boom ? "E" : "?");

/** A breaker on a ManualClock that opens after `n` failures in a count window. */
function countBreaker(clock: ManualClock, n = 2, extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}): CircuitBreaker {
  return new CircuitBreaker({
    threshold: ThresholdPolicy.count(n),
    window: { by: "count", size: 10 },
    halfOpenAfter: 100,
    scheduler: clock,
    ...extra,
  });
}

describe("CircuitBreaker (machine)", () => {
  it("starts closed and lets calls through", () => {
    const b = countBreaker(new ManualClock());
    expect(b.state).toBe("closed");
    const permit = b.tryAcquire();
    expect(permit).toBeGreaterThanOrEqual(0);
    b.recordSuccess(permit);
    expect(b.counts()).toEqual({ calls: 1, failures: 0, successes: 1 });
    expect(b.lego.counters).toMatchObject({ calls: 1, successes: 1, failures: 0 });
  });

  it("opens when the threshold trips, rejects without calling, half-opens after the duration, closes on a good probe", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock);
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("closed");
    clock.advance(5);
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("open");
    expect(b.since).toBe(5);
    expect(b.halfOpensAt).toBe(105);
    expect(b.tryAcquire()).toBe(-1);
    clock.advance(99);
    expect(b.state).toBe("open");
    clock.advance(1);
    expect(b.state).toBe("half-open");
    expect(b.since).toBe(105);
    const probe = b.tryAcquire();
    expect(probe).toBeGreaterThanOrEqual(0);
    expect(b.tryAcquire()).toBe(-1); // one probe only
    b.recordSuccess(probe);
    expect(b.state).toBe("closed");
    expect(b.counts()).toEqual({ calls: 0, failures: 0, successes: 0 }); // the window starts empty
    expect(b.lego.counters).toMatchObject({ opened: 1, halfOpened: 1, closed: 1, rejected: 2 });
  });

  it("reopens on a failed probe, waiting the backoff of the consecutive opening", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1, { halfOpenAfter: BackoffPolicy.exponential({ initialDelay: 10, multiplier: 3, maxDelay: 50 }) });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      b.recordFailure(b.tryAcquire(), boom);
      expect(b.state).toBe("open");
      waits.push((b.halfOpensAt ?? 0) - clock.now());
      clock.set(b.halfOpensAt ?? 0);
      expect(b.state).toBe("half-open");
    }
    expect(waits).toEqual([10, 30, 50, 50]);
    b.recordSuccess(b.tryAcquire());
    expect(b.state).toBe("closed");
    b.recordFailure(b.tryAcquire(), boom);
    expect((b.halfOpensAt ?? 0) - clock.now()).toBe(10); // closing reset the consecutive openings
  });

  it("needs every one of `probes` trial calls to succeed", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1, { probes: 2 });
    b.recordFailure(b.tryAcquire(), boom);
    clock.advance(100);
    const p1 = b.tryAcquire();
    const p2 = b.tryAcquire();
    expect(b.tryAcquire()).toBe(-1);
    b.recordSuccess(p1);
    expect(b.state).toBe("half-open");
    b.recordSuccess(p2);
    expect(b.state).toBe("closed");
  });

  it("frees a probe slot when a probe is released (cancelled)", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1);
    b.recordFailure(b.tryAcquire(), boom);
    clock.advance(100);
    const p = b.tryAcquire();
    expect(b.tryAcquire()).toBe(-1);
    b.release(p);
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
  });

  it("ignores outcomes of calls that began in an earlier state", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1);
    const slow = b.tryAcquire();
    b.recordFailure(b.tryAcquire(), boom); // opens
    clock.advance(100);
    b.recordSuccess(b.tryAcquire()); // probe closes it
    expect(b.state).toBe("closed");
    b.recordFailure(slow, boom); // a failure from before the opening
    expect(b.state).toBe("closed");
    expect(b.counts().failures).toBe(0);
  });

  it("counts errors isFailure refuses as successes", () => {
    const clock = new ManualClock();
    const notFound = new Error("404");
    const b = countBreaker(clock, 1, { isFailure: (e) => e !== notFound });
    b.recordFailure(b.tryAcquire(), notFound);
    expect(b.state).toBe("closed");
    expect(b.counts()).toEqual({ calls: 1, failures: 0, successes: 1 });
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("open");
  });

  it("treats a throwing isFailure as a failure", () => {
    const b = countBreaker(new ManualClock(), 1, {
      isFailure: () => {
        throw new Error("bad predicate");
      },
    });
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("open");
  });

  it("respects the ratio threshold's minimum number of calls", () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({
      threshold: ThresholdPolicy.ratio(0.5, { minimumCalls: 4 }),
      window: { by: "count", size: 4 },
      scheduler: clock,
    });
    b.recordFailure(b.tryAcquire(), boom);
    b.recordFailure(b.tryAcquire(), boom);
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("closed"); // 3 calls < 4
    b.recordSuccess(b.tryAcquire());
    expect(b.state).toBe("closed"); // a success never opens
    b.recordFailure(b.tryAcquire(), boom); // window: F F S F → 3/4
    expect(b.state).toBe("open");
  });

  it("forgets failures that left a time window", () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker({ threshold: ThresholdPolicy.count(2), window: { by: "time", size: 100, buckets: 10 }, scheduler: clock });
    b.recordFailure(b.tryAcquire(), boom);
    clock.advance(100);
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("closed");
    clock.advance(50);
    b.recordFailure(b.tryAcquire(), boom);
    expect(b.state).toBe("open");
  });

  it("half-opens lazily on a call when its timer was disposed", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1);
    b.recordFailure(b.tryAcquire(), boom);
    b.dispose();
    expect(clock.pending).toBe(0);
    clock.advance(150);
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    expect(b.state).toBe("half-open");
    expect(b.since).toBe(150);
  });

  it("keeps one timer only while open", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1);
    expect(clock.pending).toBe(0);
    b.recordFailure(b.tryAcquire(), boom);
    expect(clock.pending).toBe(1);
    clock.advance(100);
    expect(clock.pending).toBe(0);
  });

  it("reports transitions in order on state$ and transitions$", () => {
    const clock = new ManualClock();
    const b = countBreaker(clock, 1);
    const states: CircuitState[] = [];
    const transitions: unknown[] = [];
    b.state$.subscribe((s) => states.push(s));
    b.transitions$.subscribe((t) => transitions.push(t));
    b.recordFailure(b.tryAcquire(), boom);
    clock.advance(100);
    b.recordSuccess(b.tryAcquire());
    expect(states).toEqual(["closed", "open", "half-open", "closed"]);
    expect(transitions).toEqual([
      { from: "closed", to: "open", at: 0 },
      { from: "open", to: "half-open", at: 100 },
      { from: "half-open", to: "closed", at: 100 },
    ]);
  });

  describe("snapshot and restore", () => {
    it("round-trips an open breaker: still open, half-opens at the same time", () => {
      const clock = new ManualClock();
      const b = countBreaker(clock, 1);
      b.recordFailure(b.tryAcquire(), boom);
      clock.advance(30);
      const snap = JSON.parse(JSON.stringify(b.snapshot())) as CircuitBreakerSnapshot;
      expect(snap).toMatchObject({ version: 1, state: "open", since: 0, openUntil: 100, openings: 1 });
      b.dispose();
      const restored = CircuitBreaker.restore(snap, { threshold: ThresholdPolicy.count(1), window: { by: "count", size: 10 }, halfOpenAfter: 100, scheduler: clock });
      expect(restored.state).toBe("open");
      expect(restored.tryAcquire()).toBe(-1);
      clock.advance(69);
      expect(restored.state).toBe("open");
      clock.advance(1);
      expect(restored.state).toBe("half-open");
    });

    it("restores the window of a closed breaker and the consecutive openings", () => {
      const clock = new ManualClock();
      const b = countBreaker(clock, 3);
      b.recordFailure(b.tryAcquire(), boom);
      b.recordFailure(b.tryAcquire(), boom);
      b.recordSuccess(b.tryAcquire());
      const restored = new CircuitBreaker({
        threshold: ThresholdPolicy.count(3),
        window: { by: "count", size: 10 },
        halfOpenAfter: 100,
        scheduler: clock,
        initialState: b.snapshot(),
      });
      expect(restored.counts()).toEqual({ calls: 3, failures: 2, successes: 1 });
      restored.recordFailure(restored.tryAcquire(), boom);
      expect(restored.state).toBe("open");
    });

    it("restores a time window relative to the same clock", () => {
      const clock = new ManualClock();
      const options = { threshold: ThresholdPolicy.count(5), window: { by: "time" as const, size: 100, buckets: 10 }, scheduler: clock };
      const b = new CircuitBreaker(options);
      b.recordFailure(b.tryAcquire(), boom);
      clock.advance(50);
      b.recordFailure(b.tryAcquire(), boom);
      const restored = CircuitBreaker.restore(b.snapshot(), options);
      expect(restored.counts().failures).toBe(2);
      clock.advance(50);
      expect(restored.counts().failures).toBe(1);
    });

    it("an open breaker past its time half-opens on the next tick", () => {
      const clock = new ManualClock(500);
      const restored = CircuitBreaker.restore(
        { version: 1, state: "open", since: 0, openUntil: 100, openings: 1, window: { by: "count", size: 10, records: [] } },
        { window: { by: "count", size: 10 }, scheduler: clock },
      );
      expect(restored.state).toBe("open");
      clock.advance(0);
      expect(restored.state).toBe("half-open");
    });

    it("rejects a malformed snapshot", () => {
      const window = { by: "count" as const, size: 10, records: [] };
      expect(() => CircuitBreaker.restore({ version: 2 } as never)).toThrow(new RangeError("initialState.version must be 1"));
      expect(() => CircuitBreaker.restore({ version: 1, state: "ajar", since: 0, openings: 0, window } as never)).toThrow(RangeError);
      expect(() => CircuitBreaker.restore({ version: 1, state: "open", since: 0, openings: 0, window } as never)).toThrow(
        /initialState\.openUntil/,
      );
      expect(() =>
        CircuitBreaker.restore({ version: 1, state: "closed", since: 0, openings: 0, window }, { window: { by: "count", size: 5 } }),
      ).toThrow(new RangeError("snapshot must be of a count window of size 5"));
    });
  });

  describe("run (Promise form)", () => {
    it("hands back the call's own promise, its outcome recorded before the caller resumes", async () => {
      const b = countBreaker(new ManualClock(), 1);
      const p = Promise.resolve(1);
      expect(b.run(() => p)).toBe(p);
      await p;
      expect(b.counts().successes).toBe(1);
      const failing = Promise.reject(boom);
      const ran = b.run(() => failing);
      expect(ran).toBe(failing);
      await ran.catch(() => undefined);
      expect(b.state).toBe("open");
    });

    it("wraps a non-native thenable", async () => {
      const b = countBreaker(new ManualClock());
      const thenable: PromiseLike<number> = { then: (ok, _fail) => Promise.resolve(ok?.(9)) as never };
      await expect(b.run(() => thenable)).resolves.toBe(9);
      expect(b.counts().successes).toBe(1);
    });

    it("resolves with the call's value and counts a success", async () => {
      const b = countBreaker(new ManualClock());
      await expect(b.run(() => Promise.resolve(7))).resolves.toBe(7);
      await expect(b.run(() => 8)).resolves.toBe(8);
      expect(b.counts().successes).toBe(2);
    });

    it("rejects with the call's error, then CIRCUIT_OPEN without calling", async () => {
      const b = countBreaker(new ManualClock(), 2);
      await expect(b.run(() => Promise.reject(boom))).rejects.toBe(boom);
      await expect(
        b.run(() => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      let called = false;
      const rejected = b.run(() => {
        called = true;
        return 1;
      });
      await expect(rejected).rejects.toMatchObject({ name: "LegoError", code: "CIRCUIT_OPEN" });
      expect(called).toBe(false);
    });
  });

  describe("validation", () => {
    it.each([
      [{ probes: 0 }, RangeError, /probes/],
      [{ probes: 1.5 }, RangeError, /probes/],
      [{ halfOpenAfter: -1 }, RangeError, /halfOpenAfter/],
      [{ halfOpenAfter: "5" }, TypeError, /halfOpenAfter/],
      [{ isFailure: 3 }, TypeError, /isFailure/],
      [{ threshold: { kind: "count", threshold: 0, minimumCalls: 0 } }, RangeError, /threshold/],
      [{ window: { by: "hour", size: 1 } }, RangeError, /window\.by/],
      [{ window: { by: "count", size: 0 } }, RangeError, /size/],
      [{ scheduler: {} }, TypeError, /scheduler/],
      [{ group: "" }, RangeError, /group/],
      [{ name: 3 }, TypeError, /name/],
    ])("rejects %o", (options, type, message) => {
      expect(() => new CircuitBreaker(options as never)).toThrow(type);
      expect(() => new CircuitBreaker(options as never)).toThrow(message);
    });

    it("names itself after its group", () => {
      const b = new CircuitBreaker({ group: "billing" });
      expect(b.lego).toEqual({ kind: "CircuitBreaker", name: "billing.circuit_breaker", group: "billing" });
    });

    it("carries its group on CIRCUIT_OPEN errors", async () => {
      const b = countBreaker(new ManualClock(), 1, { group: "billing" });
      await b.run(() => Promise.reject(boom)).catch(() => undefined);
      const error = await b.run(() => 1).catch((e: unknown) => e as LegoError);
      expect(error).toMatchObject({ code: "CIRCUIT_OPEN", group: "billing" });
    });
  });
});

describe("CircuitBreaker (RxJS)", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("walks closed → open → half-open → closed in virtual time", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = new CircuitBreaker({
        threshold: ThresholdPolicy.count(2),
        window: { by: "count", size: 10 },
        halfOpenAfter: 10,
        scheduler: testScheduler,
      });
      const failing = cold("-#", undefined, boom);
      const good = cold("-a|");
      const calls = hot("f-f---x----------s---g|", { f: failing, x: good, s: good, g: good });
      const results = calls.pipe(mergeMap((call$) => breaker.execute(() => call$).pipe(catchError((e: unknown) => of(codeOf(e))))));
      expectObservable(results).toBe("-E-E--O-----------a---a|", { E: "E", O: "CIRCUIT_OPEN", a: "a" });
      expectObservable(breaker.state$).toBe("c--o---------h-----c", { c: "closed", o: "open", h: "half-open" });
      expectSubscriptions(failing.subscriptions).toBe(["^!", "--^!"]);
      // `x` at 6 was rejected without subscribing; the probe at 17 and the call at 21 ran
      expectSubscriptions(good.subscriptions).toBe(["-----------------^-!", "---------------------^-!"]);
    });
  });

  it("walks half-open → open on a failed probe, then closes on the next good one", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const breaker = new CircuitBreaker({
        threshold: ThresholdPolicy.count(1),
        window: { by: "count", size: 10 },
        halfOpenAfter: BackoffPolicy.exponential({ initialDelay: 5, multiplier: 2 }),
        scheduler: testScheduler,
      });
      const failing = cold("-#", undefined, boom);
      const good = cold("-a|");
      // opens at 1 (until 6), failed probe at 7→8 reopens (until 18), good probe at 20→21 closes
      const calls = hot("f------f-----------g|", { f: failing, g: good });
      const results = calls.pipe(mergeMap((call$) => breaker.execute(() => call$).pipe(catchError((e: unknown) => of(codeOf(e))))));
      expectObservable(results).toBe("-E------E-----------a|", { E: "E", a: "a" });
      expectObservable(breaker.state$).toBe("co----h-o---------h--c", { c: "closed", o: "open", h: "half-open" });
    });
  });

  it("guard(project) protects each mergeMap call and rejects while open", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const breaker = new CircuitBreaker({ threshold: ThresholdPolicy.count(1), window: { by: "count", size: 5 }, halfOpenAfter: 5, scheduler: testScheduler });
      const ids = hot("a-b-c-----d|");
      const guarded = breaker.guard((id: string) => (id === "a" ? cold("-#", undefined, boom) : cold("-r|", { r: id.toUpperCase() })));
      const result = ids.pipe(mergeMap((id, i) => guarded(id, i).pipe(catchError((e: unknown) => of(codeOf(e))))));
      // a fails at 1 and opens (until 6); b and c are rejected at once; d at 10 is the probe
      expectObservable(result).toBe("-EO-O------D|", { E: "E", O: "CIRCUIT_OPEN", D: "D" });
    });
  });

  it("circuitBreaker() as an operator: each subscription is one call; retry resubscribes through the breaker", () => {
    let op!: CircuitBreakerOperator<string>;
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const call = cold("-#", undefined, boom);
      op = circuitBreaker<string>({ threshold: ThresholdPolicy.count(2), window: { by: "count", size: 5 }, halfOpenAfter: 100, scheduler: testScheduler });
      const result = call.pipe(op, retry(3));
      expectObservable(result).toBe("--#", undefined, expect.objectContaining({ code: "CIRCUIT_OPEN" }));
      expectSubscriptions(call.subscriptions).toBe(["^!", "-^!"]);
    });
    // the run flushed virtual time past the opening's 100 ms
    expect(op.breaker.state).toBe("half-open");
    expect(op.lego.counters).toMatchObject({ calls: 2, failures: 2, rejected: 2, opened: 1, halfOpened: 1 });
  });

  it("passes every value of a successful Observable call, success at completion", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const breaker = new CircuitBreaker({ threshold: ThresholdPolicy.count(1), window: { by: "count", size: 5 }, scheduler: testScheduler });
      expectObservable(cold("-a-b-c|").pipe(circuitBreaker(breaker))).toBe("-a-b-c|");
      testScheduler.flush();
      expect(breaker.counts()).toEqual({ calls: 1, failures: 0, successes: 1 });
    });
  });

  it("standard: empty", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(circuitBreaker({ scheduler: testScheduler }))).toBe("|");
    });
  });

  it("standard: never", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(circuitBreaker({ scheduler: testScheduler }))).toBe("-");
    });
  });

  it("standard: error passes through (and counts a failure)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = circuitBreaker<string>({ scheduler: testScheduler });
      expectObservable(cold("--#").pipe(op)).toBe("--#");
      testScheduler.flush();
      expect(op.lego.counters.failures).toBe(1);
    });
  });

  it("standard: early unsubscribe unsubscribes the call and counts nothing", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-|");
      const op = circuitBreaker<string>({ scheduler: testScheduler });
      expectObservable(source.pipe(op), "^--!").toBe("-a-");
      expectSubscriptions(source.subscriptions).toBe("^--!");
      testScheduler.flush();
      expect(op.breaker.counts()).toEqual({ calls: 0, failures: 0, successes: 0 });
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
    const seen: number[] = [];
    source.pipe(circuitBreaker({ scheduler: new ManualClock() }), take(3)).subscribe((v) => seen.push(v));
    expect(seen).toEqual([0, 1, 2]);
    expect(emitted).toBe(3);
  });

  it("execute: a Promise call aborts its signal when the subscriber leaves, freeing the probe", () => {
    const clock = new ManualClock();
    const breaker = countBreaker(clock, 1);
    breaker.recordFailure(breaker.tryAcquire(), boom);
    clock.advance(100);
    let signal: AbortSignal | undefined;
    const subscription = breaker.execute((s) => {
      signal = s;
      return new Promise<number>(() => undefined);
    }).subscribe();
    expect(breaker.tryAcquire()).toBe(-1); // the probe is taken
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
    expect(isLegoError(signal?.reason, "ABORTED")).toBe(true);
    expect(breaker.tryAcquire()).toBeGreaterThanOrEqual(0);
  });

  it("execute: a sync call's value and a sync throw", () => {
    const breaker = countBreaker(new ManualClock(), 1);
    const values: unknown[] = [];
    breaker.execute(() => 5).subscribe({ next: (v) => values.push(v), complete: () => values.push("done") });
    breaker
      .execute(() => {
        throw boom;
      })
      .subscribe({ error: (e: unknown) => values.push(codeOf(e)) });
    breaker.execute(() => 6).subscribe({ error: (e: unknown) => values.push(codeOf(e)) });
    expect(values).toEqual([5, "done", "E", "CIRCUIT_OPEN"]);
  });

  it("execute: a Promise call's value and error", async () => {
    const breaker = countBreaker(new ManualClock(), 5);
    const { firstValueFrom } = await import("rxjs");
    await expect(firstValueFrom(breaker.execute(() => Promise.resolve(3)))).resolves.toBe(3);
    await expect(firstValueFrom(breaker.execute(() => Promise.reject(boom)))).rejects.toBe(boom);
    expect(breaker.counts()).toEqual({ calls: 2, failures: 1, successes: 1 });
  });

  it("state$ emits the current state on subscribe and stops on unsubscribe", () => {
    const clock = new ManualClock();
    const breaker = countBreaker(clock, 1);
    const states: CircuitState[] = [];
    const sub = breaker.state$.subscribe((s) => states.push(s));
    sub.unsubscribe();
    breaker.recordFailure(breaker.tryAcquire(), boom);
    expect(states).toEqual(["closed"]);
    breaker.state$.subscribe((s) => states.push(s)).unsubscribe();
    expect(states).toEqual(["closed", "open"]);
  });

  it("pins its types", () => {
    const breaker = new CircuitBreaker();
    expectTypeOf(circuitBreaker<number>(breaker)).toEqualTypeOf<CircuitBreakerOperator<number>>();
    expectTypeOf(circuitBreaker<number>(breaker)).toExtend<MonoTypeOperatorFunction<number>>();
    expectTypeOf(breaker.execute(() => Promise.resolve("x"))).toEqualTypeOf<Observable<string>>();
    expectTypeOf(breaker.execute(() => of(1))).toEqualTypeOf<Observable<number>>();
    expectTypeOf(breaker.run(() => Promise.resolve(2))).toEqualTypeOf<Promise<number>>();
    expectTypeOf(breaker.guard((v: string) => of(v.length))).toEqualTypeOf<(value: string, index: number) => Observable<number>>();
    expectTypeOf(breaker.state$).toEqualTypeOf<Observable<CircuitState>>();
    breaker.dispose();
    void defer(() => throwError(() => boom)).pipe(map(() => 1), circuitBreaker(breaker));
    void new Subject<number>().pipe(circuitBreaker(breaker));
  });
});
