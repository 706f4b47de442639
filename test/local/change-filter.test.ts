import fc from "fast-check";
import { distinctUntilChanged, from, map, Observable, Subject, take, toArray } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ChangeFilter, changeFilter, type MonoLegoOperator } from "../../src/index.js";

function run<T>(values: T[], op: MonoLegoOperator<T>): T[] {
  let out: T[] = [];
  from(values)
    .pipe(op, toArray())
    .subscribe((v) => (out = v));
  return out;
}

describe("ChangeFilter (state machine)", () => {
  it("accepts the first value and every value that differs from the last accepted one", () => {
    const f = new ChangeFilter<number>();
    expect([1, 1, 2, 2, 2, 1, 3].map((v) => f.accepts(v))).toEqual([true, false, true, false, false, true, true]);
  });

  it("accepts undefined as a first value and suppresses a repeat of it", () => {
    const f = new ChangeFilter<undefined>();
    expect(f.accepts(undefined)).toBe(true);
    expect(f.accepts(undefined)).toBe(false);
  });

  it("compares keys with !==, so NaN always passes and objects by reference", () => {
    const f = new ChangeFilter<unknown>();
    expect(f.accepts(NaN)).toBe(true);
    expect(f.accepts(NaN)).toBe(true);
    const o = { a: 1 };
    expect(f.accepts(o)).toBe(true);
    expect(f.accepts(o)).toBe(false);
    expect(f.accepts({ a: 1 })).toBe(true);
  });

  it("compares the key when one is given", () => {
    const f = new ChangeFilter<{ door: string; at: number }>({ key: (e) => e.door });
    expect(f.accepts({ door: "open", at: 1 })).toBe(true);
    expect(f.accepts({ door: "open", at: 2 })).toBe(false);
    expect(f.accepts({ door: "closed", at: 3 })).toBe(true);
  });

  it("reset() makes the next value pass again", () => {
    const f = new ChangeFilter<number>();
    f.accepts(1);
    f.reset();
    expect(f.accepts(1)).toBe(true);
  });

  it("keeps its group and key", () => {
    const key = (v: number): number => v;
    const f = new ChangeFilter<number>({ key, group: "door" });
    expect(f.group).toBe("door");
    expect(f.key).toBe(key);
  });

  it("rejects a non-function key and non-object options", () => {
    expect(() => new ChangeFilter<number>({ key: "id" as never })).toThrow(new TypeError('key must be a function, got "id"'));
    expect(() => new ChangeFilter<number>(null as never)).toThrow(TypeError);
    expect(() => new ChangeFilter<number>({ group: "" })).toThrow(new RangeError("group must not be empty"));
  });
});

describe("changeFilter (operator)", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("passes the first value and every change", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-a-b-b-b-a-|");
      expectObservable(source.pipe(changeFilter())).toBe("-a---b-----a-|");
      expectSubscriptions(source.subscriptions).toBe("^------------!");
    });
  });

  it("compares keys: changeFilter(key) and changeFilter({ key })", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: { s: 1 }, b: { s: 1 }, c: { s: 2 } };
      expectObservable(cold("abc|", values).pipe(changeFilter((v) => v.s))).toBe("a-c|", values);
      expectObservable(cold("abc|", values).pipe(changeFilter({ key: (v) => v.s }))).toBe("a-c|", values);
    });
  });

  it("empty", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(changeFilter())).toBe("|");
    });
  });

  it("never", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(changeFilter())).toBe("-");
    });
  });

  it("error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("a-a-#").pipe(changeFilter())).toBe("a---#");
    });
  });

  it("passes a throwing key's error downstream, as distinctUntilChanged does", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const bad = new Error("key");
      const key = (v: string): string => {
        if (v === "b") throw bad;
        return v;
      };
      expectObservable(cold("ab-|").pipe(changeFilter(key))).toBe("a#", undefined, bad);
    });
  });

  it("early unsubscribe", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-d-|");
      expectObservable(source.pipe(changeFilter()), "----!").toBe("-a-b-");
      expectSubscriptions(source.subscriptions).toBe("^---!");
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
    synchronous.pipe(changeFilter(), take(3)).subscribe();
    expect(sideEffects).toEqual([0, 1, 2]);
  });

  it("gives each subscription its own state", () => {
    const op = changeFilter<number>();
    expect(run([1, 1, 2], op)).toEqual([1, 2]);
    expect(run([2, 2, 3], op)).toEqual([2, 3]);
  });

  it("counts passed and suppressed values on its descriptor", () => {
    const op = changeFilter<number>();
    expect(op.lego.counters).toEqual({ passed: 0, suppressed: 0 });
    run([1, 1, 2, 2, 2], op);
    expect(op.lego.counters).toEqual({ passed: 2, suppressed: 3 });
  });

  it("carries a ChangeFilter descriptor with group and name from the options form", () => {
    expect(changeFilter().lego).toEqual({ kind: "ChangeFilter" });
    expect(changeFilter((v: number) => v).lego).toEqual({ kind: "ChangeFilter" });
    expect(changeFilter({ group: "door", name: "door.changes" }).lego).toEqual({
      kind: "ChangeFilter",
      name: "door.changes",
      group: "door",
    });
  });

  it("behaves exactly like distinctUntilChanged on any input (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(NaN), fc.constantFrom("a", "b"))), (values) => {
        let expected: unknown[] = [];
        from(values)
          .pipe(distinctUntilChanged(), toArray())
          .subscribe((v) => (expected = v));
        expect(run(values, changeFilter())).toEqual(expected);
      }),
    );
  });

  it("has the documented types", () => {
    expectTypeOf(changeFilter<number>()).toEqualTypeOf<MonoLegoOperator<number>>();
    expectTypeOf(
      new Subject<string>().pipe(
        map((s) => ({ s })),
        changeFilter((v) => v.s),
      ),
    ).toExtend<Observable<{ s: string }>>();
  });

  describe("validation (at call time)", () => {
    it("rejects a key that is not a function", () => {
      expect(() => changeFilter(5 as never)).toThrow(new TypeError("key must be a function, got 5"));
      expect(() => changeFilter("id" as never)).toThrow(new TypeError('key must be a function, got "id"'));
      expect(() => changeFilter({ key: 5 as never })).toThrow(new TypeError("key must be a function, got 5"));
    });
    it("rejects a bad group or name", () => {
      expect(() => changeFilter({ group: "" })).toThrow(new RangeError("group must not be empty"));
      expect(() => changeFilter({ name: 1 as never })).toThrow(new TypeError("name must be a string, got 1"));
    });
  });
});
