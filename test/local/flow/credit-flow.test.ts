import { NEVER, Observable, of, Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { Cost, creditFlow, LegoError, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("creditFlow", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    ({ hot }) => creditFlow(hot("-x-x-x-x", { x: 1 }), { capacity: 4 }),
    () => creditFlow(of(100), { capacity: 4 }),
  );

  it("emits at most what was granted; the rest waits in the bounded buffer (doc example)", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const credits = hot("--a----b--c-", { a: 2, b: 1, c: 5 });
      const op = creditFlow<string>(credits, { capacity: 4 });
      expectObservable(cold("abcde----------|").pipe(op)).toBe("--(ab)-c--(de)-|");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ held: 0, credit: 0, granted: 8, released: 5, dropped: 0, rejected: 0, invalid: 0 });
    });
  });

  it("banks credit granted before items exist, up to maxCredit", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const credits = hot("a", { a: 10 });
      expectObservable(cold("---abcd|").pipe(creditFlow(credits, { capacity: 2, maxCredit: 3 }))).toBe("---abc--");
    });
  });

  it("charges each item its cost (credit in bytes)", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const credits = hot("a---b", { a: 5, b: 4 });
      const values = { x: "xxx", y: "yyyy", z: "z" };
      expectObservable(cold("xyz|", values).pipe(creditFlow(credits, { capacity: 4, cost: Cost.bytes }))).toBe("x---(yz|)", values);
    });
  });

  it("a full buffer errors with QUEUE_FULL by default, or drops per overflow", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("abc|").pipe(creditFlow(NEVER, { capacity: 2, group: "link" }))).toBe(
        "--#",
        undefined,
        new LegoError("QUEUE_FULL", "credit flow buffer is full (capacity 2)", { group: "link" }),
      );
      const dropping = creditFlow<string>(cold("----(x|)", { x: 5 }), { capacity: 2, overflow: "drop_oldest" });
      expectObservable(cold("abc|").pipe(dropping)).toBe("----(bc|)");
      testScheduler.flush();
      expect(dropping.lego.counters.dropped).toBe(1);
    });
  });

  it("when credits complete, banked credit is spent, then held items count as dropped", () => {
    const credits = new Subject<number>();
    const source = new Subject<string>();
    const out: string[] = [];
    let completed = false;
    const op = creditFlow<string>(credits, { capacity: 5 });
    source.pipe(op).subscribe({ next: (v) => out.push(v), complete: () => (completed = true) });
    credits.next(1);
    credits.complete();
    expect(completed).toBe(false); // one credit still banked
    source.next("a");
    expect(out).toEqual(["a"]);
    expect(completed).toBe(true);
    expect(op.lego.counters.dropped).toBe(0);

    const credits2 = new Subject<number>();
    const source2 = new Subject<string>();
    const out2: string[] = [];
    const op2 = creditFlow<string>(credits2, { capacity: 5 });
    source2.pipe(op2).subscribe({ next: (v) => out2.push(v) });
    source2.next("a");
    source2.next("b");
    credits2.next(1);
    credits2.complete();
    expect(out2).toEqual(["a"]);
    expect(op2.lego.counters.dropped).toBe(1);
    expect(op2.lego.counters.held).toBe(0);
  });

  it("ignores grants that are not finite positive numbers", () => {
    const credits = new Subject<number>();
    const out: number[] = [];
    of(1, 2).pipe(creditFlow(credits, { capacity: 2 })).subscribe((v) => out.push(v));
    credits.next(-1);
    credits.next(NaN);
    credits.next(Infinity);
    expect(out).toEqual([]);
    credits.next(2);
    expect(out).toEqual([1, 2]);
  });

  it("descriptor, validation and types", () => {
    const op = creditFlow<number>(of(1), { capacity: 2, group: "link" });
    expect(op.lego).toEqual({ kind: "FlowControl", name: "link.flow_control", group: "link" });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<number>>();
    expect(() => creditFlow(5 as never, { capacity: 1 })).toThrow(/credits\$/);
    expect(() => creditFlow(of(1), { capacity: 0 })).toThrow(/capacity/);
    expect(() => creditFlow(of(1), { capacity: 1, maxCredit: 0 })).toThrow(/maxCredit/);
  });
});
