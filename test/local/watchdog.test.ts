import { Observable, Subject, take, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ManualClock, Watchdog, watchdog, type LegoOperator, type WatchdogState } from "../../src/index.js";

const dead = (since: number, lastSeen?: number): WatchdogState =>
  lastSeen === undefined ? { alive: false, since } : { alive: false, lastSeen, since };
const alive = (at: number): WatchdogState => ({ alive: true, lastSeen: at, since: at });

describe("Watchdog (state machine)", () => {
  it("starts not alive, since its creation time", () => {
    const dog = new Watchdog({ timeout: 10 }, 7);
    expect(dog.state).toEqual(dead(7));
    expect(dog.deadline).toBeUndefined();
  });

  it("reads the creation time from its clock when not given one", () => {
    const clock = new ManualClock(42);
    expect(new Watchdog({ timeout: 10, clock }).state).toEqual(dead(42));
  });

  it("becomes alive on the first value and reports it once", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    expect(dog.seen(3)).toEqual(alive(3));
    expect(dog.seen(5)).toBeUndefined();
    expect(dog.state).toEqual(alive(3));
    expect(dog.deadline).toBe(15);
  });

  it("expires exactly when now − lastSeen reaches the timeout, since the deadline", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    dog.seen(3);
    dog.seen(5);
    expect(dog.check(14.999)).toBeUndefined();
    expect(dog.check(20)).toEqual(dead(15, 5));
    expect(dog.state).toEqual(dead(15, 5));
    expect(dog.deadline).toBeUndefined();
  });

  it("reports an expiry only once", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    dog.seen(0);
    expect(dog.check(10)).toEqual(dead(10, 0));
    expect(dog.check(30)).toBeUndefined();
  });

  it("never expires before the first value", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    expect(dog.check(1_000)).toBeUndefined();
  });

  it("becomes alive again after an expiry, since the new value", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    dog.seen(0);
    dog.check(10);
    expect(dog.seen(12)).toEqual(alive(12));
  });

  it("treats a value after an unchecked deadline as a new alive period", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    dog.seen(0);
    expect(dog.seen(25)).toEqual(alive(25));
  });

  it("uses its clock when seen/check get no time", () => {
    const clock = new ManualClock();
    const dog = new Watchdog({ timeout: 10, clock });
    clock.advance(4);
    expect(dog.seen()).toEqual(alive(4));
    clock.advance(10);
    expect(dog.check()).toEqual(dead(14, 4));
  });

  it("reset() starts over", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    dog.seen(1);
    expect(dog.reset(5)).toEqual(dead(5));
    expect(dog.deadline).toBeUndefined();
    expect(dog.check(100)).toBeUndefined();
  });

  it("returns frozen states", () => {
    const dog = new Watchdog({ timeout: 10 }, 0);
    expect(Object.isFrozen(dog.state)).toBe(true);
    expect(Object.isFrozen(dog.seen(1))).toBe(true);
  });

  it("keeps its group", () => {
    expect(new Watchdog({ timeout: 1, group: "ambient" }, 0).group).toBe("ambient");
    expect(new Watchdog({ timeout: 1 }, 0).group).toBeUndefined();
  });

  describe("validation", () => {
    it("rejects a non-object options", () => {
      expect(() => new Watchdog(null as never)).toThrow(TypeError);
    });
    it("rejects a non-number timeout", () => {
      expect(() => new Watchdog({ timeout: "5" as never })).toThrow(new TypeError('timeout must be a number, got "5"'));
    });
    it.each([0, -1, NaN, Infinity])("rejects timeout %s", (timeout) => {
      expect(() => new Watchdog({ timeout })).toThrow(RangeError);
      expect(() => new Watchdog({ timeout })).toThrow(/timeout/);
    });
    it("rejects a clock without now()", () => {
      expect(() => new Watchdog({ timeout: 1, clock: {} as never })).toThrow(new TypeError("clock must be a Clock (with now())"));
    });
    it("rejects an empty group", () => {
      expect(() => new Watchdog({ timeout: 1, group: "" })).toThrow(new RangeError("group must not be empty"));
    });
  });
});

describe("watchdog (operator)", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("reports not alive on subscribe, alive on a value and not alive after the timeout", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("---a-b-------c--|");
      const subs = /*    */ "^---------------!";
      const expected = /**/ "f--t------g--u--|";
      expectObservable(source.pipe(watchdog({ timeout: 5, scheduler: testScheduler }))).toBe(expected, {
        f: dead(0),
        t: alive(3),
        g: dead(10, 5),
        u: alive(13),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it("does not repeat the not-alive state while nothing arrives", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a------------------------");
      expectObservable(source.pipe(watchdog({ timeout: 5 }))).toBe("(ft)-g", {
        f: dead(0),
        t: alive(0),
        g: dead(5, 0),
      });
    });
  });

  it("stays alive while values come less than timeout apart", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a-a-a-a-a-a-a-----");
      expectObservable(source.pipe(watchdog({ timeout: 3 }))).toBe("(ft)-----------g", {
        f: dead(0),
        t: alive(0),
        g: dead(15, 12),
      });
    });
  });

  it("reports the expiry first when a value arrives exactly at the deadline", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("a----a-----");
      expectObservable(source.pipe(watchdog({ timeout: 5 }))).toBe("(ft)-(gu)-h", {
        f: dead(0),
        t: alive(0),
        g: dead(5, 0),
        u: alive(5),
        h: dead(10, 5),
      });
    });
  });

  it("does not forward the source's values", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("abc----|").pipe(watchdog({ timeout: 10 }))).toBe("(ft)---|", { f: dead(0), t: alive(0) });
    });
  });

  it("empty: reports not alive, then completes", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(watchdog({ timeout: 5 }))).toBe("(f|)", { f: dead(0) });
    });
  });

  it("never: reports not alive once and keeps watching", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(watchdog({ timeout: 5 }))).toBe("f", { f: dead(0) });
    });
  });

  it("error: passes the source error on and cancels the pending timer", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("--a-#", undefined, new Error("boom")).pipe(watchdog({ timeout: 5 }))).toBe(
        "f-t-#",
        { f: dead(0), t: alive(2) },
        new Error("boom"),
      );
    });
  });

  it("error at once: reports not alive, then the error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("#").pipe(watchdog({ timeout: 5 }))).toBe("(f#)", { f: dead(0) });
    });
  });

  it("early unsubscribe: stops the source and the timer", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("---a-b-------c--|");
      const unsub = /*   */ "-------!";
      const subs = /*    */ "^------!";
      const expected = /**/ "f--t----";
      expectObservable(source.pipe(watchdog({ timeout: 5 })), unsub).toBe(expected, { f: dead(0), t: alive(3) });
      expectSubscriptions(source.subscriptions).toBe(subs);
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
    const states: WatchdogState[] = [];
    synchronous.pipe(watchdog({ timeout: 5, scheduler: new ManualClock() }), take(2)).subscribe((s) => states.push(s));
    expect(sideEffects).toEqual([0]);
    expect(states).toEqual([dead(0), alive(0)]);
  });

  it("does not subscribe the source when unsubscribed by its first report", () => {
    let subscribed = false;
    const source = new Observable<number>(() => {
      subscribed = true;
    });
    source.pipe(watchdog({ timeout: 5, scheduler: new ManualClock() }), take(1)).subscribe();
    expect(subscribed).toBe(false);
  });

  it("gives each subscription its own state", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = watchdog<string>({ timeout: 5 });
      const source = cold("-a---");
      const values = { f: dead(0), t: alive(1), g: dead(6, 1) };
      expectObservable(source.pipe(op)).toBe("ft----g", values);
      expectObservable(source.pipe(op)).toBe("ft----g", values);
    });
  });

  it("runs on a ManualClock, timers included", () => {
    const clock = new ManualClock(100);
    const source = new Subject<number>();
    const states: WatchdogState[] = [];
    source.pipe(watchdog({ timeout: 50, scheduler: clock })).subscribe((s) => states.push(s));
    clock.advance(10);
    source.next(1);
    clock.advance(30);
    source.next(2);
    clock.advance(49);
    expect(states).toEqual([dead(100), alive(110)]);
    clock.advance(1);
    expect(states).toEqual([dead(100), alive(110), dead(190, 140)]);
    expect(clock.pending).toBe(0);
  });

  it("counts timeouts on its lego descriptor, over all subscriptions", () => {
    const clock = new ManualClock();
    const op = watchdog<number>({ timeout: 5, scheduler: clock });
    const a = new Subject<number>();
    const b = new Subject<number>();
    a.pipe(op).subscribe();
    b.pipe(op).subscribe();
    a.next(1);
    b.next(1);
    clock.advance(5);
    a.next(2);
    clock.advance(5);
    expect(op.lego.counters).toEqual({ timeouts: 3 });
  });

  it("carries a Watchdog lego descriptor with its labels", () => {
    expect(watchdog({ timeout: 1 }).lego).toEqual({ kind: "Watchdog" });
    expect(watchdog({ timeout: 1, group: "ambient", name: "door" }).lego).toEqual({
      kind: "Watchdog",
      name: "door",
      group: "ambient",
    });
  });

  it("gives its group to a ManualClock that has none, not to one that has", () => {
    const bare = new ManualClock();
    watchdog({ timeout: 1, scheduler: bare, group: "ambient" });
    expect(bare.group).toBe("ambient");
    const owned = new ManualClock(0, { group: "other" });
    watchdog({ timeout: 1, scheduler: owned, group: "ambient" });
    expect(owned.group).toBe("other");
  });

  it("has the documented type", () => {
    expectTypeOf(watchdog<number>({ timeout: 1 })).toExtend<OperatorFunction<number, WatchdogState>>();
    expectTypeOf(watchdog<number>({ timeout: 1 })).toEqualTypeOf<LegoOperator<number, WatchdogState>>();
  });

  describe("validation (at call time)", () => {
    it("rejects a missing options object", () => {
      expect(() => watchdog(undefined as never)).toThrow(new TypeError("options must be an object, got undefined"));
    });
    it("rejects a non-number timeout", () => {
      expect(() => watchdog({ timeout: "5" as never })).toThrow(TypeError);
      expect(() => watchdog({ timeout: "5" as never })).toThrow(/^timeout/);
    });
    it.each([0, -5, NaN, Infinity])("rejects timeout %s", (timeout) => {
      expect(() => watchdog({ timeout })).toThrow(RangeError);
      expect(() => watchdog({ timeout })).toThrow(/^timeout/);
    });
    it("rejects a scheduler that is not one", () => {
      expect(() => watchdog({ timeout: 1, scheduler: { now: () => 0 } as never })).toThrow(
        new TypeError("scheduler must be a SchedulerLike (with now() and schedule())"),
      );
    });
    it("rejects a non-string group and an empty name", () => {
      expect(() => watchdog({ timeout: 1, group: 5 as never })).toThrow(new TypeError("group must be a string, got 5"));
      expect(() => watchdog({ timeout: 1, name: "" })).toThrow(new RangeError("name must not be empty"));
    });
  });
});
