import { BehaviorSubject, map, NEVER, Observable, of, Subject } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { bulkhead, featureFlag, killSwitch, LegoError, type MonoLegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("killSwitch", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    () => killSwitch(NEVER),
    () => killSwitch(new BehaviorSubject(false)),
  );

  it("errors with KILLED and unsubscribes the source the moment the flag turns true (doc example)", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-d-e-");
      const flag = hot("f-----t----", { f: false, t: true });
      const op = killSwitch<string>(flag, { group: "uplink" });
      expectObservable(source.pipe(op)).toBe("-a-b-c#", undefined, new LegoError("KILLED", "kill switch thrown", { group: "uplink" }));
      expectSubscriptions(source.subscriptions).toBe("^-----!");
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ passed: 3, killed: 1 });
    });
  });

  it("action complete ends quietly", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(cold("-a-b-c-").pipe(killSwitch(hot("---t", { t: true }), { action: "complete" }))).toBe("-a-|");
    });
  });

  it("tears down in-flight work upstream", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const work = cold("-----x|");
      const flag = hot("---t", { t: true });
      expectObservable(cold("ab|").pipe(bulkhead(() => work, { limit: 2 }), killSwitch(flag))).toBe("---#", undefined, expect.objectContaining({ code: "KILLED" }));
      expectSubscriptions(work.subscriptions).toBe(["^--!", "-^-!"]);
    });
  });

  it("a switch already thrown never subscribes the source; false does nothing; flag errors go downstream", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("a|");
      expectObservable(source.pipe(killSwitch(new BehaviorSubject(true)))).toBe("#", undefined, expect.objectContaining({ code: "KILLED" }));
      expectSubscriptions(source.subscriptions).toBe([]);
      expectObservable(cold("a-b|").pipe(killSwitch(cold("ff", { f: false })))).toBe("a-b|");
      expectObservable(cold("a-b|").pipe(killSwitch(cold("-#")))).toBe("a#");
    });
  });

  it("takes a FeatureFlag", () => {
    const off = featureFlag(false, { name: "uplink.kill" });
    const source = new Subject<number>();
    const out: number[] = [];
    let error: unknown;
    source.pipe(killSwitch(off)).subscribe({ next: (v) => out.push(v), error: (e: unknown) => (error = e) });
    source.next(1);
    off.set(true);
    source.next(2);
    expect(out).toEqual([1]);
    expect(error).toBeInstanceOf(LegoError);
    expect(source.observed).toBe(false);
  });

  it("descriptor, validation and types", () => {
    const op = killSwitch<number>(of(false), { group: "g" });
    expect(op.lego).toEqual({ kind: "KillSwitch", name: "g.kill_switch", group: "g" });
    expectTypeOf(op).toExtend<MonoLegoOperator<number>>();
    expectTypeOf(of(1).pipe(map((v) => String(v)), killSwitch(of(false)))).toEqualTypeOf<Observable<string>>();
    expect(() => killSwitch(true as never)).toThrow(TypeError);
    expect(() => killSwitch(of(false), { action: "pause" as never })).toThrow(/action/);
  });
});
