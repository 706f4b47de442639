import { describe, expect, it } from "vitest";
import { AdmissionPolicy, ConcurrencyPolicy, FairnessPolicy, PriorityPolicy, RatePolicy, refillPerMs, weightOf } from "../../src/index.js";

describe("flow policies (pure, frozen data)", () => {
  it("RatePolicy: defaults, frozen, unlimited, validation", () => {
    const p = RatePolicy.of({ rate: 10 });
    expect(p).toEqual({ rate: 10, per: 1000, burst: 10 });
    expect(Object.isFrozen(p)).toBe(true);
    expect(RatePolicy.perSecond(5, 2)).toEqual({ rate: 5, per: 1000, burst: 2 });
    expect(RatePolicy.unlimited()).toEqual({ rate: Infinity, per: 1000, burst: Infinity });
    expect(refillPerMs(RatePolicy.of({ rate: 10, per: 100 }))).toBe(0.1);
    expect(() => RatePolicy.of({ rate: 0 })).toThrow(RangeError);
    expect(() => RatePolicy.of({ rate: NaN })).toThrow(/rate/);
    expect(() => RatePolicy.of({ rate: 1, burst: Infinity })).toThrow(/burst/);
    expect(() => RatePolicy.of({ rate: 1, per: 0 })).toThrow(/per/);
    expect(() => RatePolicy.from(null as never)).toThrow(TypeError);
  });

  it("ConcurrencyPolicy", () => {
    expect(ConcurrencyPolicy.of({ limit: 4 })).toEqual({ limit: 4, queue: 0, overflow: "drop_newest" });
    expect(Object.isFrozen(ConcurrencyPolicy.of({ limit: 4 }))).toBe(true);
    expect(() => ConcurrencyPolicy.of({ limit: 0 })).toThrow(/limit/);
    expect(() => ConcurrencyPolicy.of({ limit: 1, overflow: "block" as never })).toThrow(/overflow/);
  });

  it("PriorityPolicy", () => {
    const p = PriorityPolicy.strict({ levels: 2, priorityOf: (v: number) => v });
    expect(p.levels).toBe(2);
    expect(Object.isFrozen(p)).toBe(true);
    expect(() => PriorityPolicy.strict({ levels: 65, priorityOf: () => 0 })).toThrow(/64/);
  });

  it("FairnessPolicy", () => {
    const p = FairnessPolicy.weighted({ weights: { a: 3 }, defaultWeight: 2 });
    expect([weightOf(p, "a"), weightOf(p, "b"), weightOf(p, "toString")]).toEqual([3, 2, 2]);
    expect(Object.isFrozen(p.weights)).toBe(true);
    expect(FairnessPolicy.equal()).toEqual({ weights: {}, defaultWeight: 1 });
  });

  it("AdmissionPolicy", () => {
    expect(AdmissionPolicy.of({ maxDepth: 2, maxAge: 50, shed: "error" })).toEqual({ maxDepth: 2, maxAge: 50, shed: "error" });
  });
});
