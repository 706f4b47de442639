import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ThresholdPolicy, thresholdTripped } from "../../src/index.js";

describe("ThresholdPolicy", () => {
  it("ratio: frozen data with a default minimum of 10 calls", () => {
    const p = ThresholdPolicy.ratio(0.5);
    expect(p).toEqual({ kind: "ratio", threshold: 0.5, minimumCalls: 10 });
    expect(Object.isFrozen(p)).toBe(true);
  });

  it("count: default minimum 0", () => {
    expect(ThresholdPolicy.count(3)).toEqual({ kind: "count", threshold: 3, minimumCalls: 0 });
  });

  it.each([
    // [policy, failures, calls, tripped]
    [ThresholdPolicy.ratio(0.5, { minimumCalls: 4 }), 2, 4, true],
    [ThresholdPolicy.ratio(0.5, { minimumCalls: 4 }), 1, 3, false],
    [ThresholdPolicy.ratio(0.5, { minimumCalls: 4 }), 3, 3, false],
    [ThresholdPolicy.ratio(0.5, { minimumCalls: 4 }), 2, 5, false],
    [ThresholdPolicy.ratio(1, { minimumCalls: 1 }), 1, 1, true],
    [ThresholdPolicy.ratio(1, { minimumCalls: 1 }), 1, 2, false],
    [ThresholdPolicy.count(3), 2, 2, false],
    [ThresholdPolicy.count(3), 3, 100, true],
    [ThresholdPolicy.count(3, { minimumCalls: 5 }), 3, 4, false],
    [ThresholdPolicy.ratio(0.1, { minimumCalls: 0 }), 0, 0, false],
  ])("%o with %i failures of %i calls → %s", (policy, failures, calls, tripped) => {
    expect(thresholdTripped(policy, failures, calls)).toBe(tripped);
  });

  it("ratio trips exactly when failures/calls ≥ threshold and calls ≥ minimum", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 50 }),
        fc.nat(200),
        fc.nat(200),
        (percent, minimumCalls, a, b) => {
          const calls = Math.max(a, b);
          const failures = Math.min(a, b);
          const p = ThresholdPolicy.ratio(percent / 100, { minimumCalls });
          const expected = calls >= minimumCalls && failures > 0 && failures * 100 >= percent * calls;
          expect(thresholdTripped(p, failures, calls)).toBe(expected);
        },
      ),
    );
  });

  it("from() validates and freezes a structural policy", () => {
    const p = ThresholdPolicy.from({ kind: "count", threshold: 2, minimumCalls: 1 });
    expect(p).toEqual({ kind: "count", threshold: 2, minimumCalls: 1 });
    expect(Object.isFrozen(p)).toBe(true);
    expect(() => ThresholdPolicy.from({ kind: "max", threshold: 2, minimumCalls: 0 } as never)).toThrow(RangeError);
    expect(() => ThresholdPolicy.from(null as never)).toThrow(new TypeError("threshold must be an object, got null"));
  });

  describe("validation", () => {
    it.each([0, -0.1, 1.5, NaN])("rejects ratio %s", (r) => {
      expect(() => ThresholdPolicy.ratio(r)).toThrow(RangeError);
      expect(() => ThresholdPolicy.ratio(r)).toThrow(/threshold/);
    });
    it.each([0, 1.5, -2])("rejects count %s", (n) => {
      expect(() => ThresholdPolicy.count(n)).toThrow(new RangeError(`threshold.threshold must be a positive integer, got ${n}`));
    });
    it("rejects a bad minimumCalls", () => {
      expect(() => ThresholdPolicy.ratio(0.5, { minimumCalls: -1 })).toThrow(
        new RangeError("threshold.minimumCalls must be a non-negative integer, got -1"),
      );
      expect(() => ThresholdPolicy.count(1, { minimumCalls: "2" as never })).toThrow(TypeError);
    });
  });
});
