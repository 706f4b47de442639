import { Observable, of, Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { admission, AdmissionPolicy, AdmissionQueue, LegoError, ManualClock, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("AdmissionQueue", () => {
  it("sheds a newcomer beyond maxDepth and stale items at their turn", () => {
    const clock = new ManualClock();
    const q = new AdmissionQueue<string>({ policy: AdmissionPolicy.of({ maxDepth: 2, maxAge: 10 }), clock });
    expect([q.offer("a"), q.offer("b"), q.offer("c")]).toEqual(["admitted", "admitted", "shed"]);
    clock.advance(5);
    q.take();
    q.offer("d");
    clock.advance(6); // b waited 11, d waited 6
    expect(q.shedStale()).toBe(1);
    expect(q.take()).toBe("d");
    expect([q.shed, q.shedForAge]).toEqual([2, 1]);
  });

  it("validates the policy", () => {
    expect(() => AdmissionPolicy.of({ maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => AdmissionPolicy.of({ maxDepth: 1, maxAge: 0 })).toThrow(/maxAge/);
    expect(() => AdmissionPolicy.of({ maxDepth: 1, shed: "queue" as never })).toThrow(/shed/);
    expect(AdmissionPolicy.of({ maxDepth: 3 })).toEqual({ maxDepth: 3, maxAge: Infinity, shed: "drop" });
    expect(Object.isFrozen(AdmissionPolicy.of({ maxDepth: 3 }))).toBe(true);
  });
});

describe("admission", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    ({ hot }) => admission({ maxDepth: 2, demand: hot("-x-x-x-x") }),
    () => admission({ maxDepth: 2, demand: of(...Array.from({ length: 100 }, () => 1)), maxOutstanding: 100 }),
  );

  it("sheds beyond maxDepth (doc example)", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = admission<string>({ maxDepth: 2, maxAge: 6, demand: hot("-----x-x---x") });
      expectObservable(cold("abc--------|").pipe(op)).toBe("-----a-b---|");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ depth: 0, admitted: 2, released: 2, shed: 1, shedForAge: 0 });
    });
  });

  it("sheds items that waited longer than maxAge instead of serving them late", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = admission<string>({ maxDepth: 5, maxAge: 4, demand: hot("------x-x") });
      // a, b waited 6 and 5 ms at the first pull; c waited 4 (not more than maxAge)
      expectObservable(cold("abc---d|").pipe(op)).toBe("------c-(d|)");
      testScheduler.flush();
      expect(op.lego.counters.shedForAge).toBe(2);
      expect(op.lego.counters.shed).toBe(2);
    });
  });

  it("shed error fails with LOAD_SHED", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const op = admission<string>({ policy: AdmissionPolicy.of({ maxDepth: 1, shed: "error" }), demand: hot("-----x"), group: "edge" });
      expectObservable(cold("ab|").pipe(op)).toBe(
        "-#",
        undefined,
        new LegoError("LOAD_SHED", "load shed: 1 items waiting (maxDepth)", { group: "edge" }),
      );
    });
  });

  it("reads ages from a ManualClock scheduler", () => {
    const clock = new ManualClock();
    const source = new Subject<number>();
    const demand = new Subject<void>();
    const out: number[] = [];
    source.pipe(admission<number>({ maxDepth: 10, maxAge: 100, demand, scheduler: clock })).subscribe((v) => out.push(v));
    source.next(1);
    clock.advance(101);
    source.next(2);
    demand.next();
    expect(out).toEqual([2]);
  });

  it("descriptor and types", () => {
    const op = admission<number>({ maxDepth: 3, demand: 10, group: "edge" });
    expect(op.lego).toEqual({ kind: "AdmissionPolicy", name: "edge.admission", group: "edge" });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(of(1).pipe(op)).toEqualTypeOf<Observable<number>>();
    expect(() => admission({ demand: 1 })).toThrow(/maxDepth/);
  });
});
