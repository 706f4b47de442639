import { Observable, Subject, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ManualClock, sensorHealth, type HealthStatus, type LegoOperator } from "../../src/index.js";

const STALE = "sensor input is stale";
const stale = (observedAt: number, errorCount = 0, message = STALE): HealthStatus => ({ status: "stale", observedAt, message, stale: true, errorCount });
const ok = (observedAt: number, errorCount = 0): HealthStatus => ({ status: "ok", observedAt, message: "", stale: false, errorCount });
const error = (observedAt: number, errorCount: number, message: string, isStale = false): HealthStatus => ({
  status: "error",
  observedAt,
  message,
  stale: isStale,
  errorCount,
});

describe("sensorHealth", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("reports stale on subscribe, ok on a value, stale after staleAfter without one", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("---a-b----------c---|");
      expectObservable(source.pipe(sensorHealth({ staleAfter: 5 }))).toBe("s--o------t-----p---|", {
        s: stale(0),
        o: ok(3),
        t: stale(10),
        p: ok(16),
      });
    });
  });

  it("reports a source error as error with errorCount + 1, then completes", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("--a--#", undefined, new Error("port closed"));
      expectObservable(source.pipe(sensorHealth({ staleAfter: 5 }))).toBe("s-o--(e|)", {
        s: stale(0),
        o: ok(2),
        e: error(5, 1, "port closed"),
      });
    });
  });

  it("reports each value on errors as error with the count raised, and goes on", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = cold("-a-----a-a-------|");
      const errors = hot("---x-y---z-------|", { x: new Error("read failed"), y: "timeout", z: 42 });
      expectObservable(source.pipe(sensorHealth({ staleAfter: 5, errors }))).toBe("so-x-yTO-(zP)-t--|", {
        s: stale(0),
        o: ok(1),
        x: error(3, 1, "read failed"),
        y: error(5, 2, "timeout"),
        T: stale(6, 2),
        O: ok(7, 2),
        z: error(9, 3, "42"),
        P: ok(9, 3),
        t: stale(14, 3),
      });
    });
  });

  it("leaves error for stale when values stop", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = cold("-a------------|");
      const errors = hot("---x", { x: "glitch" });
      expectObservable(source.pipe(sensorHealth({ staleAfter: 4, errors }))).toBe("so-x-t--------|", {
        s: stale(0),
        o: ok(1),
        x: error(3, 1, "glitch"),
        t: stale(5, 1),
      });
    });
  });

  it("re-emits the current status every checkEvery ms from subscribe", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-----------|");
      expectObservable(source.pipe(sensorHealth({ staleAfter: 6, checkEvery: 4 }))).toBe("so--c--td---e|", {
        s: stale(0),
        o: ok(1),
        c: ok(4),
        t: stale(7),
        d: stale(8),
        e: stale(12),
      });
    });
  });

  it("reports one stale when a check finds the value stale just before the watchdog does", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-------|");
      expectObservable(source.pipe(sensorHealth({ staleAfter: 3, checkEvery: 4 }))).toBe("so--t---u|", {
        s: stale(0),
        o: ok(1),
        t: stale(4),
        u: stale(8),
      });
    });
  });

  it("says stale is true on an error status once the last value is old", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const errors = hot("------x", { x: "late failure" });
      expectObservable(cold("-a--").pipe(sensorHealth({ staleAfter: 3, errors }))).toBe("so--t-x", {
        s: stale(0),
        o: ok(1),
        t: stale(4),
        x: error(6, 1, "late failure", true),
      });
    });
  });

  it("is an operator from anything to HealthStatus", () => {
    expectTypeOf(sensorHealth({ staleAfter: 1 })).toEqualTypeOf<LegoOperator<unknown, HealthStatus>>();
  });

  it("handles empty and never", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(sensorHealth({ staleAfter: 5 }))).toBe("(s|)", { s: stale(0) });
      expectObservable(cold("-").pipe(sensorHealth({ staleAfter: 5 }))).toBe("s", { s: stale(0) });
    });
  });

  it("uses its staleMessage", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(sensorHealth({ staleAfter: 5, staleMessage: "no data from BME280" }))).toBe("s", {
        s: stale(0, 0, "no data from BME280"),
      });
    });
  });

  it("unsubscribes from the source, the errors and the checks on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a-----a-|");
      const errors = hot("---------x");
      expectObservable(source.pipe(sensorHealth({ staleAfter: 10, errors, checkEvery: 3 })), "^----!").toBe("so-c-", {
        s: stale(0),
        o: ok(1),
        c: ok(3),
      });
      expectSubscriptions(source.subscriptions).toBe("^----!");
      expectSubscriptions(errors.subscriptions).toBe("^----!");
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(i);
      }
    });
    const seen: HealthStatus[] = [];
    source.pipe(sensorHealth({ staleAfter: 1_000, scheduler: new ManualClock() }), take(2)).subscribe((s) => seen.push(s));
    expect(seen.map((s) => s.status)).toEqual(["stale", "ok"]);
    expect(produced).toBe(1);
  });

  it("runs on a ManualClock, which adopts its group", () => {
    const clock = new ManualClock(100);
    const values = new Subject<number>();
    const seen: HealthStatus[] = [];
    const operator = sensorHealth({ staleAfter: 50, scheduler: clock, group: "ambient" });
    values.pipe(operator).subscribe((s) => seen.push(s));
    values.next(1);
    clock.advance(49);
    expect(seen.map((s) => s.status)).toEqual(["stale", "ok"]);
    clock.advance(1);
    expect(seen.at(-1)).toEqual(stale(150));
    expect(clock.group).toBe("ambient");
    expect(operator.lego).toEqual({ kind: "SensorHealthWatchdog", group: "ambient" });
    expect(operator.lego.counters).toEqual({ reports: 3, stale: 2, errors: 0 });
  });

  it("accepts a Subscribable for errors", () => {
    const clock = new ManualClock();
    const failures = new Subject<unknown>();
    const subscribable = { subscribe: (observer: Partial<{ next: (v: unknown) => void }>) => failures.subscribe(observer) };
    const seen: HealthStatus[] = [];
    new Subject<number>().pipe(sensorHealth({ staleAfter: 5, scheduler: clock, errors: subscribable })).subscribe((s) => seen.push(s));
    failures.next(new Error("x"));
    expect(seen.at(-1)).toEqual(error(0, 1, "x", true));
  });

  it.each([
    [{ staleAfter: 0 }, RangeError, "staleAfter"],
    [{ staleAfter: NaN }, RangeError, "staleAfter"],
    [{ staleAfter: "5" }, TypeError, "staleAfter"],
    [{ staleAfter: 5, checkEvery: -1 }, RangeError, "checkEvery"],
    [{ staleAfter: 5, checkEvery: Infinity }, RangeError, "checkEvery"],
    [{ staleAfter: 5, errors: 5 }, TypeError, "errors"],
    [{ staleAfter: 5, staleMessage: 1 }, TypeError, "staleMessage"],
    [{ staleAfter: 5, scheduler: {} }, TypeError, "scheduler"],
    [{ staleAfter: 5, group: "" }, RangeError, "group"],
    [{ staleAfter: 5, name: 3 }, TypeError, "name"],
  ])("rejects %o when called", (options, errorClass, name) => {
    expect(() => sensorHealth(options as never)).toThrow(errorClass);
    expect(() => sensorHealth(options as never)).toThrow(name);
  });
});
