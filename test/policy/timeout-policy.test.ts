import { describe, expect, it } from "vitest";
import { CancellationPolicy, TimeoutPolicy } from "../../src/index.js";

describe("TimeoutPolicy", () => {
  it("keeps only the budgets given, frozen", () => {
    const p = TimeoutPolicy.of({ first: 100, total: 1_000 });
    expect(p).toEqual({ first: 100, total: 1_000 });
    expect(Object.isFrozen(p)).toBe(true);
    expect(TimeoutPolicy.total(5)).toEqual({ total: 5 });
    expect(TimeoutPolicy.each(7)).toEqual({ each: 7 });
    expect(TimeoutPolicy.from({ each: 3 })).toEqual({ each: 3 });
  });

  it("needs at least one budget", () => {
    expect(() => TimeoutPolicy.of({})).toThrow(new TypeError("timeout needs at least one of first, each, total"));
  });

  it.each([0, -1, NaN, Infinity])("rejects a budget of %s", (ms) => {
    expect(() => TimeoutPolicy.of({ each: ms })).toThrow(RangeError);
    expect(() => TimeoutPolicy.of({ each: ms })).toThrow(/timeout\.each/);
  });

  it("rejects a non-number budget", () => {
    expect(() => TimeoutPolicy.of({ first: "1" as never })).toThrow(new TypeError('timeout.first must be a number, got "1"'));
  });
});

describe("CancellationPolicy", () => {
  it("defaults to cascade at once", () => {
    const p = CancellationPolicy.of();
    expect(p).toEqual({ propagation: "cascade", gracePeriod: 0 });
    expect(Object.isFrozen(p)).toBe(true);
    expect(CancellationPolicy.cascade(50)).toEqual({ propagation: "cascade", gracePeriod: 50 });
    expect(CancellationPolicy.detach()).toEqual({ propagation: "detach", gracePeriod: 0 });
  });

  it("validates", () => {
    expect(() => CancellationPolicy.of({ propagation: "drop" as never })).toThrow(
      new RangeError('cancellation.propagation must be one of cascade | detach, got "drop"'),
    );
    expect(() => CancellationPolicy.cascade(-1)).toThrow(RangeError);
    expect(() => CancellationPolicy.from(null as never)).toThrow(TypeError);
  });
});
