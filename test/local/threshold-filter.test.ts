import fc from "fast-check";
import { from, map, Observable, Subject, take, toArray } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ThresholdFilter, thresholdFilter, type MonoLegoOperator } from "../../src/index.js";
import { exceedsThreshold } from "../../src/local/threshold-filter.js";

function accepted<T>(threshold: number, values: T[]): T[] {
  const f = new ThresholdFilter<T>({ threshold });
  return values.filter((v) => f.accepts(v));
}

function run<T>(values: T[], op: MonoLegoOperator<T>): T[] {
  let out: T[] = [];
  from(values)
    .pipe(op, toArray())
    .subscribe((v) => (out = v));
  return out;
}

/** Does `next` pass after `last` under threshold `t`? */
const passes = (t: number, last: unknown, next: unknown): boolean => accepted(t, [last, next]).length === 2;

describe("ThresholdFilter (state machine)", () => {
  describe("numbers", () => {
    it("pass when |new − last| > threshold, not when equal to it", () => {
      expect(passes(1, 10, 11.5)).toBe(true);
      expect(passes(1, 10, 8.5)).toBe(true);
      expect(passes(1, 10, 11)).toBe(false);
      expect(passes(1, 10, 9)).toBe(false);
      expect(passes(1, 10, 10.5)).toBe(false);
    });

    it("compare with the last passed value, so a slow drift gets through", () => {
      expect(accepted(0.5, [20, 20.3, 20.6, 20.4, 21.2])).toEqual([20, 20.6, 21.2]);
      expect(accepted(1, [0, 0.6, 1.2, 1.8])).toEqual([0, 1.2]);
    });

    it("threshold 0 passes any change", () => {
      expect(accepted(0, [1, 1, 1.0000001, 1.0000001, 2])).toEqual([1, 1.0000001, 2]);
    });

    it("non-finite numbers pass when they differ (!==)", () => {
      expect(passes(1, NaN, NaN)).toBe(true);
      expect(passes(1, Infinity, Infinity)).toBe(false);
      expect(passes(1, -Infinity, -Infinity)).toBe(false);
      expect(passes(1e308, Infinity, -Infinity)).toBe(true);
      expect(passes(1e308, 5, Infinity)).toBe(true);
      expect(passes(1e308, Infinity, 5)).toBe(true);
      expect(passes(1e308, 5, NaN)).toBe(true);
      expect(passes(1e308, NaN, 5)).toBe(true);
    });
  });

  it("booleans pass on any change", () => {
    expect(accepted(100, [true, true, false, false, true])).toEqual([true, false, true]);
  });

  it("strings, null and undefined pass when !==", () => {
    expect(accepted(100, ["a", "a", "b", null, null, undefined, undefined, "b"])).toEqual(["a", "b", null, undefined, "b"]);
  });

  it("mixed types pass", () => {
    expect(passes(100, 1, "1")).toBe(true);
    expect(passes(100, true, 1)).toBe(true);
    expect(passes(100, 0, null)).toBe(true);
    expect(passes(100, [1], { 0: 1 })).toBe(true);
    expect(passes(100, { 0: 1 }, [1])).toBe(true);
    expect(passes(100, [1], 1)).toBe(true);
  });

  describe("arrays", () => {
    it("compare element-wise: pass when any element moves past the threshold", () => {
      expect(passes(1, [1, 2, 3], [1.5, 2.5, 3.5])).toBe(false);
      expect(passes(1, [1, 2, 3], [1, 2, 4.5])).toBe(true);
    });
    it("pass on a length change", () => {
      expect(passes(1, [1, 2], [1, 2, 2])).toBe(true);
      expect(passes(1, [1, 2], [1])).toBe(true);
    });
    it("compare non-numeric elements with their own rules", () => {
      expect(passes(1, ["a", true], ["a", true])).toBe(false);
      expect(passes(1, ["a", true], ["a", false])).toBe(true);
      expect(passes(1, [NaN], [NaN])).toBe(true);
    });
    it("typed arrays compare element-wise too", () => {
      expect(passes(0.5, new Float32Array([1, 2]), new Float32Array([1.25, 2]))).toBe(false);
      expect(passes(0.5, new Float32Array([1, 2]), new Float32Array([1, 3]))).toBe(true);
      expect(passes(0.5, new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(true);
    });
  });

  describe("objects", () => {
    it("compare key-wise, whatever the key order", () => {
      expect(passes(1, { x: 1, y: 2 }, { y: 2.5, x: 1.5 })).toBe(false);
      expect(passes(1, { x: 1, y: 2 }, { y: 2, x: 3 })).toBe(true);
    });
    it("pass on a key-set change, same size or not", () => {
      expect(passes(1, { x: 1, y: 2 }, { x: 1, z: 2 })).toBe(true);
      expect(passes(1, { x: 1 }, { x: 1, y: 2 })).toBe(true);
      expect(passes(1, { x: 1, y: 2 }, { x: 1 })).toBe(true);
    });
    it("nest: arrays in objects in arrays", () => {
      expect(passes(1, [{ v: [1, 2] }], [{ v: [1.5, 2.5] }])).toBe(false);
      expect(passes(1, [{ v: [1, 2] }], [{ v: [1, 4] }])).toBe(true);
      expect(passes(1, [{ v: [1, 2] }], [{ v: [1, 2, 3] }])).toBe(true);
    });
    it("compare objects that are not plain (Dates, class instances) by reference", () => {
      const d = new Date(0);
      expect(passes(1, d, d)).toBe(false);
      expect(passes(1, new Date(0), new Date(0))).toBe(true);
      class Point {
        constructor(readonly x: number) {}
      }
      expect(passes(1, new Point(1), new Point(1))).toBe(true);
    });
    it("accept null-prototype records", () => {
      const a = Object.assign(Object.create(null) as Record<string, number>, { x: 1 });
      const b = Object.assign(Object.create(null) as Record<string, number>, { x: 1.5 });
      expect(passes(1, a, b)).toBe(false);
    });
    it("terminate on cyclic values (too deep counts as a change)", () => {
      type Cyclic = { self?: Cyclic; v: number };
      const a: Cyclic = { v: 1 };
      a.self = a;
      const b: Cyclic = { v: 1 };
      b.self = b;
      expect(passes(1, a, b)).toBe(true);
      expect(passes(1, a, a)).toBe(false);
    });
  });

  it("compares keys when a key function is given", () => {
    const f = new ThresholdFilter<{ value: number; at: number }>({ threshold: 1, key: (s) => s.value });
    expect(f.accepts({ value: 1, at: 0 })).toBe(true);
    expect(f.accepts({ value: 1.5, at: 1 })).toBe(false);
    expect(f.accepts({ value: 2.5, at: 2 })).toBe(true);
  });

  it("reset() makes the next value pass", () => {
    const f = new ThresholdFilter<number>({ threshold: 10 });
    f.accepts(1);
    f.reset();
    expect(f.accepts(1)).toBe(true);
  });

  it("keeps threshold, key and group", () => {
    const f = new ThresholdFilter<number>({ threshold: 2, group: "ambient" });
    expect(f.threshold).toBe(2);
    expect(f.key).toBeUndefined();
    expect(f.group).toBe("ambient");
  });

  describe("properties", () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    const threshold = fc.double({ noNaN: true, noDefaultInfinity: true, min: 0, max: 1e3 });

    it("on finite numbers: equals the deadband model (first passes; others iff |v − last passed| > t)", () => {
      fc.assert(
        fc.property(threshold, fc.array(finite), (t, values) => {
          const model: number[] = [];
          for (const v of values) {
            const last = model.at(-1);
            if (last === undefined || Math.abs(v - last) > t) model.push(v);
          }
          expect(accepted(t, values)).toEqual(model);
        }),
      );
    });

    it("on finite numbers: consecutive passed values differ by more than t, and every suppressed one is within t of the last passed", () => {
      fc.assert(
        fc.property(threshold, fc.array(finite, { minLength: 1 }), (t, values) => {
          const f = new ThresholdFilter<number>({ threshold: t });
          let last: number | undefined;
          for (const v of values) {
            const ok = f.accepts(v);
            if (last === undefined) expect(ok).toBe(true);
            else expect(ok).toBe(Math.abs(v - last) > t);
            if (ok) last = v;
          }
        }),
      );
    });

    it("with threshold 0 on integers it passes exactly the changes", () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -3, max: 3 })), (values) => {
          const changes = values.filter((v, i) => i === 0 || v !== values[i - 1]);
          expect(accepted(0, values)).toEqual(changes);
        }),
      );
    });

    it("on vectors: passes iff the shape changed or some element moved past t", () => {
      fc.assert(
        fc.property(threshold, fc.array(fc.array(finite, { maxLength: 3 }), { maxLength: 20 }), (t, vectors) => {
          const model: number[][] = [];
          for (const v of vectors) {
            const last = model.at(-1);
            if (last === undefined || last.length !== v.length || v.some((x, i) => Math.abs(x - (last[i] ?? 0)) > t)) model.push(v);
          }
          expect(accepted(t, vectors)).toEqual(model);
        }),
      );
    });

    it("the verdict on records does not depend on key order", () => {
      fc.assert(
        fc.property(threshold, fc.dictionary(fc.string({ maxLength: 3 }), finite), fc.dictionary(fc.string({ maxLength: 3 }), finite), (t, a, b) => {
          const reversed = Object.fromEntries(Object.entries(b).reverse());
          expect(exceedsThreshold(a, reversed, t)).toBe(exceedsThreshold(a, b, t));
        }),
      );
    });

    it("a value never exceeds the threshold against itself, unless it holds NaN", () => {
      fc.assert(
        fc.property(threshold, fc.jsonValue(), (t, v) => {
          expect(exceedsThreshold(v, structuredClone(v), t)).toBe(false);
        }),
      );
    });
  });

  describe("validation", () => {
    it("rejects a non-number threshold", () => {
      expect(() => new ThresholdFilter({ threshold: "1" as never })).toThrow(new TypeError('threshold must be a number, got "1"'));
    });
    it.each([-1, NaN, Infinity, -Infinity])("rejects threshold %s", (threshold) => {
      expect(() => new ThresholdFilter({ threshold })).toThrow(RangeError);
      expect(() => new ThresholdFilter({ threshold })).toThrow(/^threshold/);
    });
    it("rejects a non-function key", () => {
      expect(() => new ThresholdFilter({ threshold: 1, key: {} as never })).toThrow(new TypeError("key must be a function, got object"));
    });
  });
});

describe("thresholdFilter (operator)", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const temps = { a: 20, b: 20.3, c: 20.6, d: 20.4, e: 21.2 };

  it("passes values that leave the deadband", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-d-e-|", temps);
      expectObservable(source.pipe(thresholdFilter(0.5))).toBe("-a---c---e-|", temps);
      expectSubscriptions(source.subscriptions).toBe("^----------!");
    });
  });

  it("accepts (threshold, key) and ({ threshold, key })", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: { v: 1 }, b: { v: 1.4 }, c: { v: 2 } };
      expectObservable(cold("abc|", values).pipe(thresholdFilter(0.5, (s) => s.v))).toBe("a-c|", values);
      expectObservable(cold("abc|", values).pipe(thresholdFilter({ threshold: 0.5, key: (s) => s.v }))).toBe("a-c|", values);
    });
  });

  it("empty", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(thresholdFilter(1))).toBe("|");
    });
  });

  it("never", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-").pipe(thresholdFilter(1))).toBe("-");
    });
  });

  it("error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("a-b-#", temps).pipe(thresholdFilter(1))).toBe("a---#", temps);
    });
  });

  it("passes a throwing key's error downstream and stops the source", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const bad = new Error("key");
      const source = cold("ab-|", temps);
      const key = (v: number): number => {
        if (v === temps.b) throw bad;
        return v;
      };
      expectObservable(source.pipe(thresholdFilter(1, key))).toBe("a#", temps, bad);
      expectSubscriptions(source.subscriptions).toBe("^!");
    });
  });

  it("early unsubscribe", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-c-e-|", temps);
      expectObservable(source.pipe(thresholdFilter(0.1)), "----!").toBe("-a-c-", temps);
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
    synchronous.pipe(thresholdFilter(0), take(3)).subscribe();
    expect(sideEffects).toEqual([0, 1, 2]);
  });

  it("gives each subscription its own reference value", () => {
    const op = thresholdFilter<number>(1);
    expect(run([0, 0.5, 2], op)).toEqual([0, 2]);
    expect(run([0.5, 1, 5], op)).toEqual([0.5, 5]);
  });

  it("counts passed and suppressed values", () => {
    const op = thresholdFilter<number>(1);
    run([0, 0.5, 2, 2.5, 2.9], op);
    expect(op.lego.counters).toEqual({ passed: 2, suppressed: 3 });
  });

  it("carries a ThresholdFilter descriptor", () => {
    expect(thresholdFilter(1).lego).toEqual({ kind: "ThresholdFilter" });
    expect(thresholdFilter({ threshold: 1, group: "ambient", name: "temp.deadband" }).lego).toEqual({
      kind: "ThresholdFilter",
      name: "temp.deadband",
      group: "ambient",
    });
  });

  it("has the documented types", () => {
    expectTypeOf(thresholdFilter<number>(1)).toEqualTypeOf<MonoLegoOperator<number>>();
    expectTypeOf(
      new Subject<string>().pipe(
        map((s) => s.length),
        thresholdFilter(1),
      ),
    ).toExtend<Observable<number>>();
  });

  describe("validation (at call time)", () => {
    it("rejects a missing or non-number threshold", () => {
      expect(() => thresholdFilter(undefined as never)).toThrow(new TypeError("threshold must be a number, got undefined"));
      expect(() => thresholdFilter("1" as never)).toThrow(new TypeError('threshold must be a number, got "1"'));
      expect(() => thresholdFilter({} as never)).toThrow(new TypeError("threshold must be a number, got undefined"));
    });
    it.each([-0.5, NaN, Infinity])("rejects threshold %s", (threshold) => {
      expect(() => thresholdFilter(threshold)).toThrow(RangeError);
      expect(() => thresholdFilter({ threshold })).toThrow(/^threshold must be a finite number/);
    });
    it("rejects a non-function key in either form", () => {
      expect(() => thresholdFilter(1, 2 as never)).toThrow(new TypeError("key must be a function, got 2"));
      expect(() => thresholdFilter({ threshold: 1, key: "v" as never })).toThrow(new TypeError('key must be a function, got "v"'));
    });
    it("rejects a key beside an options object", () => {
      expect(() => thresholdFilter({ threshold: 1 } as never, (v: number) => v)).toThrow(TypeError);
      expect(() => thresholdFilter({ threshold: 1 } as never, (v: number) => v)).toThrow(/^key/);
    });
    it("rejects a bad group", () => {
      expect(() => thresholdFilter({ threshold: 1, group: "" })).toThrow(new RangeError("group must not be empty"));
    });
  });
});
