import { map, Observable, of, sample, Subject, takeUntil } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ManualClock, rateMatch, type MonoLegoOperator } from "../../src/index.js";

describe("rateMatch", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("fifo, capacity 2: source 1,2,3 then two demand pulses emits 2 then 3 (DESIGN.md example)", () => {
    const demand = new Subject<void>();
    const out: number[] = [];
    let completed = false;
    const op = rateMatch<number>({ mode: "fifo", capacity: 2, demand });
    of(1, 2, 3)
      .pipe(op)
      .subscribe({ next: (v) => out.push(v), complete: () => (completed = true) });
    expect(out).toEqual([]);
    demand.next();
    expect(out).toEqual([2]);
    demand.next();
    expect(out).toEqual([2, 3]);
    expect(completed).toBe(true);
    expect(op.lego.counters).toEqual({ dropped: 1, released: 2 });
  });

  it("latest: each pulse releases the newest value once", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = cold("-a-b-c-d-----e---");
      const demand = hot(" ----x---x--x---x-");
      const expected = /**/ "----b---d------e-";
      expectObservable(source.pipe(rateMatch({ demand }))).toBe(expected);
    });
  });

  it("fifo: releases the oldest buffered value per pulse, dropping the oldest on overflow", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = cold("abcd---------");
      const demand = hot(" ----x-x-x-x--");
      const expected = /**/ "----b-c-d----";
      expectObservable(source.pipe(rateMatch({ demand, mode: "fifo", capacity: 3 }))).toBe(expected);
    });
  });

  it("a pulse with nothing buffered emits nothing", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = cold("---a-----");
      const demand = hot(" -x-x-x-x-");
      expectObservable(source.pipe(rateMatch({ demand }))).toBe("-----a---");
    });
  });

  it("a number demand is a period in ms on the scheduler", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("ab-c---d-----");
      // pulses at 3, 6, 9, 12
      expectObservable(source.pipe(rateMatch({ demand: 3 })), "-------------!").toBe("---c-----d---");
    });
  });

  it("a number demand ticks on a given ManualClock", () => {
    const clock = new ManualClock();
    const source = new Subject<number>();
    const out: number[] = [];
    source.pipe(rateMatch({ demand: 100, scheduler: clock })).subscribe((v) => out.push(v));
    source.next(1);
    source.next(2);
    clock.advance(99);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([2]);
    source.next(3);
    clock.advance(100);
    expect(out).toEqual([2, 3]);
  });

  describe("completion", () => {
    it("after the source completes, buffered values still drain on demand, then the output completes", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = cold("abc|");
        const demand = hot(" ------x-x-x-x");
        expectObservable(source.pipe(rateMatch({ demand, mode: "fifo", capacity: 3 }))).toBe("------a-b-(c|)");
      });
    });

    it("completes at once when the source completes with nothing buffered", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = cold("a-|");
        const demand = hot(" -x--x");
        expectObservable(source.pipe(rateMatch({ demand }))).toBe("-a|");
      });
    });

    it("completes when demand completes; what was buffered counts as dropped", () => {
      const op = rateMatch<string>({ demand: of(1), mode: "fifo", capacity: 5 });
      let completed = false;
      of("a", "b", "c")
        .pipe(op)
        .subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true);
      expect(op.lego.counters).toEqual({ dropped: 2, released: 1 });
    });

    it("demand completing first keeps the source subscribed, drops what comes, and completes with the source", () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = cold("abc-d---|");
        const demand = hot(" --x--|");
        const op = rateMatch<string>({ demand, mode: "fifo", capacity: 5 });
        expectObservable(source.pipe(op)).toBe("--a-----|");
        expectSubscriptions(source.subscriptions).toBe("^-------!");
        testScheduler.flush();
        expect(op.lego.counters).toEqual({ dropped: 3, released: 1 });
      });
    });
  });

  /**
   * The completion cases of RxJS's own `sample` spec (spec/operators/sample-spec.ts),
   * ported: rateMatch in `latest` mode must behave exactly like `sample`, which
   * each case also runs against the installed RxJS. Frames and subscriptions
   * are the spec's, with RxJS 7's rule that the notifier's completion emits nothing.
   */
  describe("completion, as RxJS's sample spec", () => {
    const both = (
      e1Marbles: string,
      e1subs: string,
      e2Marbles: string,
      e2subs: string,
      expected: string,
      drained?: { expected: string; e2subs: string },
    ): void => {
      // The spec's marbles align with spaces (RxJS 6 marble syntax); in run mode a space is no frame.
      const frames = (marbles: string): string => marbles.replace(/ /g, "-");
      for (const operator of ["sample", "rateMatch"] as const) {
        testScheduler = new TestScheduler((actual, wanted) => {
          expect(actual).toEqual(wanted);
        });
        testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
          const e1 = hot(frames(e1Marbles));
          const e2 = hot(frames(e2Marbles));
          const result = operator === "sample" ? e1.pipe(sample(e2)) : e1.pipe(rateMatch({ demand: e2 }));
          const own = operator === "rateMatch" && drained !== undefined ? drained : { expected, e2subs };
          expectObservable(result).toBe(frames(own.expected));
          expectSubscriptions(e1.subscriptions).toBe(frames(e1subs));
          expectSubscriptions(e2.subscriptions).toBe(frames(own.e2subs));
        });
      }
    };

    it("should get samples when the notifier emits", () => {
      both(
        "---a----b---c----------d-----|   ",
        "^                            !   ",
        "-----x----------x---x------x---|",
        "^                            !   ",
        "-----a----------c----------d-|   ",
      );
    });

    it("should sample nothing if source has not nexted at all", () => {
      both("----a-^------------|", "^            !", "-----x-------|", "^            !", "-------------|");
    });

    it("should sample nothing if source has nexted after all notifications, but notifier does not complete (drain: b waits for a pulse)", () => {
      both("----a-^------b-----|", "^            !", "-----x--------", "^            !", "-------------|", {
        expected: "--------------",
        e2subs: "^             ",
      });
    });

    it("should not sample when the notifier completes, and complete with the source (RxJS 7)", () => {
      both("----a-^------b----------|", "^                 !", "-----x-----|", "^          !", "------------------|");
    });

    it("should not complete when the notifier completes, nor should it emit", () => {
      both(
        "----a----b----c----d----e----f----",
        "^                                 ",
        "------x-|                         ",
        "^       !                         ",
        "------a---------------------------",
      );
    });

    it("should complete only when the source completes, if notifier completes early", () => {
      both(
        "----a----b----c----d----e----f---|",
        "^                                !",
        "------x-|                         ",
        "^       !                         ",
        "------a--------------------------|",
      );
    });

    it("should only sample when a new value arrives, even if it is the same value", () => {
      both(
        "----a----b----c----c----e----f----|  ",
        "^                                 !  ",
        "------x-x------xx-x---x----x--------|",
        "^                                 !  ",
        "------a--------c------c----e------|  ",
        // drain: f is buffered when the source completes; demand completes at 36 before releasing it
        { expected: "------a--------c------c----e--------|", e2subs: "^                                   !" },
      );
    });

    it("should complete if source does not emit", () => {
      both("|", "(^!)", "------x-------|", "(^!)", "|");
    });

    it("should not complete if source does not complete", () => {
      both("-", "^              ", "------x-------|", "^             !", "-");
    });

    it("should complete sampling if sample observable completes (an empty demand completes with the source)", () => {
      both("----a----b----c----d-|", "^                    !", "|", "(^!)", "---------------------|");
    });

    it("differs from sample only by the documented drain: a value buffered when the source completes is released on the next pulse", () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const e1 = hot("----a----b----c----d-|");
        const e2 = hot("-----------x----------x------------|");
        expectObservable(e1.pipe(sample(e2))).toBe("-----------b---------|");
        expectObservable(e1.pipe(rateMatch({ demand: e2 }))).toBe("-----------b----------(d|)");
        expectSubscriptions(e1.subscriptions).toBe(["^--------------------!", "^--------------------!"]);
        expectSubscriptions(e2.subscriptions).toBe(["^--------------------!", "^---------------------!"]);
      });
    });
  });

  it("empty: completes", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(cold("|").pipe(rateMatch({ demand: hot("-x-x") }))).toBe("|");
    });
  });

  it("never: never emits", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(cold("-").pipe(rateMatch({ demand: hot("-x-x") }))).toBe("-");
    });
  });

  it("error from the source goes downstream at once, buffered values are not flushed", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const demand = hot("----x-x");
      expectObservable(cold("ab#").pipe(rateMatch({ demand, mode: "fifo", capacity: 2 }))).toBe("--#");
      expectSubscriptions(demand.subscriptions).toBe("^-!");
    });
  });

  it("error from demand goes downstream and stops the source", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a-b-c-d");
      const demand = cold(" -x-#");
      expectObservable(source.pipe(rateMatch({ demand }))).toBe("-a-#");
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("early unsubscribe: stops source and demand", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold("a-b-c-d-e-|");
      const demand = hot(" -x-x-x-x-x-x");
      expectObservable(source.pipe(rateMatch({ demand })), "----!").toBe("-a-b-");
      expectSubscriptions(source.subscriptions).toBe("^---!");
      expectSubscriptions(demand.subscriptions).toBe("^---!");
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    // rateMatch subscribes the source before demand, so a synchronous source
    // cannot be released from mid-loop; here a takeUntil downstream ends the
    // subscription while the source is still looping.
    const stop = new Subject<void>();
    const sideEffects: number[] = [];
    const synchronous = new Observable<number>((subscriber) => {
      for (let i = 0; !subscriber.closed && i < 10; i++) {
        sideEffects.push(i);
        subscriber.next(i);
        if (i === 2) stop.next();
      }
    });
    synchronous.pipe(rateMatch({ demand: new Subject<void>() }), takeUntil(stop)).subscribe();
    expect(sideEffects).toEqual([0, 1, 2]);
  });

  it("gives each subscription its own buffer", () => {
    const demand = new Subject<void>();
    const op = rateMatch<number>({ demand, mode: "fifo", capacity: 2 });
    const a = new Subject<number>();
    const b = new Subject<number>();
    const out: string[] = [];
    a.pipe(op).subscribe((v) => out.push(`a${v}`));
    b.pipe(op).subscribe((v) => out.push(`b${v}`));
    a.next(1);
    b.next(2);
    b.next(3);
    demand.next();
    demand.next();
    expect(out).toEqual(["a1", "b2", "b3"]);
  });

  it("counts drops under latest", () => {
    const demand = new Subject<void>();
    const op = rateMatch<number>({ demand });
    const source = new Subject<number>();
    source.pipe(op).subscribe();
    source.next(1);
    source.next(2);
    source.next(3);
    demand.next();
    demand.next();
    source.next(4);
    expect(op.lego.counters).toEqual({ dropped: 2, released: 1 });
  });

  describe("lego descriptor", () => {
    it("names itself <group>.rate_matched_sensor when given a group and no name", () => {
      expect(rateMatch({ group: "ambient", demand: 10 }).lego).toEqual({
        kind: "RateMatchedSensor",
        name: "ambient.rate_matched_sensor",
        group: "ambient",
      });
    });
    it("keeps an explicit name", () => {
      expect(rateMatch({ group: "ambient", name: "display", demand: 10 }).lego).toEqual({
        kind: "RateMatchedSensor",
        name: "display",
        group: "ambient",
      });
    });
    it("has no name without group or name", () => {
      expect(rateMatch({ demand: 10 }).lego).toEqual({ kind: "RateMatchedSensor" });
    });
  });

  it("gives its group to a ManualClock scheduler that has none", () => {
    const clock = new ManualClock();
    rateMatch({ demand: 10, scheduler: clock, group: "ambient" });
    expect(clock.group).toBe("ambient");
  });

  it("has the documented types", () => {
    expectTypeOf(rateMatch<number>({ demand: 1 })).toEqualTypeOf<MonoLegoOperator<number>>();
    expectTypeOf(
      new Subject<string>().pipe(
        map((s) => s.length),
        rateMatch({ demand: 1 }),
      ),
    ).toExtend<Observable<number>>();
  });

  describe("validation (at call time)", () => {
    it("rejects missing options", () => {
      expect(() => rateMatch(undefined as never)).toThrow(new TypeError("options must be an object, got undefined"));
    });
    it("rejects a missing or wrong-typed demand", () => {
      expect(() => rateMatch({} as never)).toThrow(new TypeError("demand must be an Observable or a period in ms"));
      expect(() => rateMatch({ demand: "10" as never })).toThrow(new TypeError("demand must be an Observable or a period in ms"));
    });
    it.each([0, -1, NaN, Infinity])("rejects demand period %s", (demand) => {
      expect(() => rateMatch({ demand })).toThrow(RangeError);
      expect(() => rateMatch({ demand })).toThrow(/^demand/);
    });
    it("rejects an unknown mode", () => {
      expect(() => rateMatch({ demand: 1, mode: "lifo" as never })).toThrow(new RangeError('mode must be one of latest | fifo, got "lifo"'));
      expect(() => rateMatch({ demand: 1, mode: 1 as never })).toThrow(TypeError);
    });
    it.each([0, -2, 1.5, Infinity])("rejects capacity %s", (capacity) => {
      expect(() => rateMatch({ demand: 1, mode: "fifo", capacity })).toThrow(RangeError);
      expect(() => rateMatch({ demand: 1, mode: "fifo", capacity })).toThrow(/^capacity must be a positive integer/);
    });
    it("treats null as a wrong type, not as the default", () => {
      expect(() => rateMatch({ demand: 1, mode: null as never })).toThrow(new TypeError("mode must be one of latest | fifo, got null"));
      expect(() => rateMatch({ demand: 1, capacity: null as never })).toThrow(new TypeError("capacity must be a number, got null"));
    });
    it("rejects a non-number capacity", () => {
      expect(() => rateMatch({ demand: 1, capacity: "2" as never })).toThrow(new TypeError('capacity must be a number, got "2"'));
    });
    it("rejects a bad scheduler, group or name", () => {
      expect(() => rateMatch({ demand: 1, scheduler: {} as never })).toThrow(/^scheduler must be a SchedulerLike/);
      expect(() => rateMatch({ demand: 1, group: "" })).toThrow(new RangeError("group must not be empty"));
      expect(() => rateMatch({ demand: 1, name: "" })).toThrow(new RangeError("name must not be empty"));
    });
  });
});
