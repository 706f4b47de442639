import { BehaviorSubject, concatMap, finalize, map, Observable, of, range, Subject, timer } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { BoundedQueue, boundedQueue, LegoError, ManualClock, PriorityPolicy, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("BoundedQueue", () => {
  it("FIFO with drop_newest, drop_oldest and counters", () => {
    const q = new BoundedQueue<number>({ capacity: 2 });
    expect([q.offer(1), q.offer(2), q.offer(3)]).toEqual(["queued", "queued", "refused"]);
    expect(q.rejected).toBe(1);
    expect(q.take()).toBe(1);
    const o = new BoundedQueue<number>({ capacity: 2, overflow: "drop_oldest" });
    expect([o.offer(1), o.offer(2), o.offer(3)]).toEqual(["queued", "queued", "evicted"]);
    expect([o.peek(), o.take(), o.take(), o.take()]).toEqual([2, 2, 3, undefined]);
    expect(o.dropped).toBe(1);
  });

  it("strict priority: higher class first, FIFO within; drop_oldest evicts from the lowest class at or below the newcomer's", () => {
    const priority = PriorityPolicy.strict<string>({ levels: 3, priorityOf: (v) => Number(v[0]) });
    const q = new BoundedQueue<string>({ capacity: 3, overflow: "drop_oldest", priority });
    q.offer("0a");
    q.offer("2a");
    q.offer("1a");
    expect(q.offer("2b")).toBe("evicted"); // 0a goes
    expect(q.offer("0b")).toBe("refused"); // nothing at or below class 0
    expect(q.offer("9x")).toBe("invalid");
    expect(q.invalid).toBe(1);
    expect([q.take(), q.take(), q.take(), q.take()]).toEqual(["2a", "2b", "1a", undefined]);
  });

  it("validates its options", () => {
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(RangeError);
    expect(() => new BoundedQueue({ capacity: 1, overflow: "latest" as never })).toThrow(/overflow/);
    expect(() => PriorityPolicy.strict({ levels: 0, priorityOf: () => 0 })).toThrow(/levels/);
    expect(() => PriorityPolicy.strict({ levels: 2, priorityOf: 1 as never })).toThrow(TypeError);
  });
});

describe("boundedQueue", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    ({ hot }) => boundedQueue({ capacity: 2, demand: hot("-x-x-x-x") }),
    () => boundedQueue({ capacity: 2, demand: range(0, 100), maxOutstanding: 100 }),
  );

  it("releases one value per pull; a full queue rejects (doc example)", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const demand = hot("----x--x--x--x");
      const op = boundedQueue<string>({ capacity: 2, overflow: "drop_newest", demand });
      expectObservable(cold("abcd-------|").pipe(op)).toBe("----a--b---|");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ depth: 0, enqueued: 2, released: 2, dropped: 0, rejected: 2, invalid: 0 });
    });
  });

  it("backpressure by composition: a slow async consumer pulls when done with each item", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const pull = new BehaviorSubject<void>(undefined);
      const op = boundedQueue<string>({ capacity: 3, overflow: "drop_oldest", demand: pull });
      const consumed = cold("abcdef|").pipe(
        op,
        concatMap((v) =>
          timer(3).pipe(
            map(() => v),
            finalize(() => pull.next()),
          ),
        ),
      );
      expectObservable(consumed).toBe("---a--b--d--e--(f|)");
      testScheduler.flush();
      expect(op.lego.counters.dropped).toBe(1); // c, evicted when f came
    });
  });

  it("works with rateMatch-style periodic demand (a number is a period on the scheduler)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("(abc)|").pipe(boundedQueue({ capacity: 5, demand: 3 }))).toBe("---a--b--(c|)");
    });
  });

  it("a pull that finds the queue empty is kept for the next item (up to maxOutstanding); held items wait for demand", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const demand = hot("xx--------");
      expectObservable(cold("---ab-c|").pipe(boundedQueue({ capacity: 5, demand, maxOutstanding: 2 }))).toBe("---ab-----");
    });
  });

  it("overflow error fails with QUEUE_FULL", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = boundedQueue<string>({ capacity: 1, overflow: "error", demand: hot("-----x"), group: "g" });
      expectObservable(cold("ab|").pipe(op)).toBe("-#", undefined, new LegoError("QUEUE_FULL", "bounded queue is full (capacity 1)", { group: "g" }));
    });
  });

  it("strict priority on release", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const priority = PriorityPolicy.strict<string>({ levels: 2, priorityOf: (v) => (v === v.toUpperCase() ? 1 : 0) });
      const demand = hot("----x-x-x-x");
      expectObservable(cold("aBcD|").pipe(boundedQueue({ capacity: 4, demand, priority }))).toBe("----B-D-a-(c|)");
    });
  });

  it("when demand completes, granted pulls are served, then it completes and counts what is held as dropped", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = boundedQueue<string>({ capacity: 4, demand: hot("--x|") });
      expectObservable(cold("abc-----|").pipe(op)).toBe("--a|");
      testScheduler.flush();
      expect(op.lego.counters.dropped).toBe(2);
      expect(op.lego.counters.depth).toBe(0);
    });
  });

  it("depth$ reports the depth on subscribe and after each change", () => {
    const clock = new ManualClock();
    const source = new Subject<number>();
    const demand = new Subject<void>();
    const op = boundedQueue<number>({ capacity: 3, demand, scheduler: clock });
    const depths: number[] = [];
    op.depth$.subscribe((d) => depths.push(d));
    source.pipe(op).subscribe();
    source.next(1);
    source.next(2);
    demand.next();
    expect(depths).toEqual([0, 1, 2, 1]);
    expect(op.depth$.lego.kind).toBe("BoundedQueue");
  });

  it("invalid priorities are dropped, counted and reported; the stream goes on", () => {
    const invalid: unknown[] = [];
    const out: number[] = [];
    const priority = PriorityPolicy.strict<number>({ levels: 2, priorityOf: (v) => v });
    of(1, 7, 0)
      .pipe(boundedQueue({ capacity: 4, demand: range(0, 5), maxOutstanding: 5, priority, onInvalid: (i) => invalid.push(i.detail) }))
      .subscribe((v) => out.push(v));
    expect(out).toEqual([1, 0]);
    expect(invalid).toEqual([7]);
  });

  it("descriptor, validation and types", () => {
    const op = boundedQueue<number>({ capacity: 2, demand: 10, group: "uplink" });
    expect(op.lego).toEqual({ kind: "BoundedQueue", name: "uplink.bounded_queue", group: "uplink" });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<number>>();
    expect(() => boundedQueue({ capacity: 2, demand: "x" as never })).toThrow(TypeError);
    expect(() => boundedQueue({ capacity: 2, demand: -1 })).toThrow(RangeError);
    expect(() => boundedQueue({ capacity: 0, demand: 1 })).toThrow(/capacity/);
    expect(() => boundedQueue({ capacity: 1, demand: 1, maxOutstanding: 0 })).toThrow(/maxOutstanding/);
  });
});
