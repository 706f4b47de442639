import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BackoffPolicy, delayForAttempt, OVERFLOW_POLICIES } from "../../src/index.js";

/** The waits before attempts 1, 2, … */
function expectDelays(backoff: BackoffPolicy, delays: number[]): void {
  expect(delays.map((_, i) => delayForAttempt(backoff, i + 1))).toEqual(delays);
}

describe("BackoffPolicy constructors", () => {
  it("none(): no wait ever", () => {
    const backoff = BackoffPolicy.none();
    expect(backoff).toEqual({ initialDelay: 0, multiplier: 1 });
    expectDelays(backoff, [0, 0, 0, 0]);
    expect(delayForAttempt(backoff, 1_000_000)).toBe(0);
  });

  it("fixed(ms): ms before every retry", () => {
    const backoff = BackoffPolicy.fixed(250);
    expect(backoff).toEqual({ initialDelay: 250, multiplier: 1 });
    expectDelays(backoff, [0, 250, 250, 250, 250]);
    expect(delayForAttempt(backoff, 10_000)).toBe(250);
  });

  it("exponential: initialDelay × multiplier^(n−2), multiplier 2 by default", () => {
    expectDelays(BackoffPolicy.exponential({ initialDelay: 100 }), [0, 100, 200, 400, 800, 1600]);
    expectDelays(BackoffPolicy.exponential({ initialDelay: 10, multiplier: 3 }), [0, 10, 30, 90, 270]);
    expectDelays(BackoffPolicy.exponential({ initialDelay: 10, multiplier: 1 }), [0, 10, 10, 10]);
    expectDelays(BackoffPolicy.exponential({ initialDelay: 10, multiplier: 1.5 }), [0, 10, 15, 22.5]);
  });

  it("exponential: capped at maxDelay", () => {
    expectDelays(BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 300 }), [0, 100, 200, 300, 300, 300]);
    expectDelays(BackoffPolicy.exponential({ initialDelay: 100, maxDelay: 0 }), [0, 0, 0]);
  });

  it("every constructor accepts jitter and random", () => {
    const random = (): number => 0.25;
    expect(BackoffPolicy.fixed(100, { jitter: "full", random })).toEqual({ initialDelay: 100, multiplier: 1, jitter: "full", random });
    expect(BackoffPolicy.exponential({ initialDelay: 1, jitter: "none" }).jitter).toBe("none");
  });

  it("makes frozen policies", () => {
    for (const backoff of [
      BackoffPolicy.none(),
      BackoffPolicy.fixed(1),
      BackoffPolicy.exponential({ initialDelay: 1 }),
      BackoffPolicy.from({ initialDelay: 1, multiplier: 2 }),
    ]) {
      expect(Object.isFrozen(backoff)).toBe(true);
      expect(() => {
        (backoff as { initialDelay: number }).initialDelay = 5;
      }).toThrow(TypeError);
    }
    expect(Object.isFrozen(BackoffPolicy)).toBe(true);
    expect(Object.isFrozen(OVERFLOW_POLICIES)).toBe(true);
    expect(OVERFLOW_POLICIES).toEqual(["drop_oldest", "drop_newest", "reject", "latest"]);
  });

  describe("validation", () => {
    it("fixed(ms) needs a finite ms ≥ 0", () => {
      expect(() => BackoffPolicy.fixed(-1)).toThrow(new RangeError("ms must be a finite number >= 0, got -1"));
      expect(() => BackoffPolicy.fixed(NaN)).toThrow(RangeError);
      expect(() => BackoffPolicy.fixed(Infinity)).toThrow(RangeError);
      expect(() => BackoffPolicy.fixed("5" as never)).toThrow(new TypeError('ms must be a number, got "5"'));
    });
    it("initialDelay must be a finite number ≥ 0", () => {
      expect(() => BackoffPolicy.exponential({ initialDelay: -5 })).toThrow(/^backoff\.initialDelay must be a finite number >= 0/);
      expect(() => BackoffPolicy.exponential({ initialDelay: undefined as never })).toThrow(TypeError);
    });
    it("multiplier must be finite and ≥ 1", () => {
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, multiplier: 0.5 })).toThrow(new RangeError("backoff.multiplier must be >= 1, got 0.5"));
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, multiplier: Infinity })).toThrow(RangeError);
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, multiplier: "2" as never })).toThrow(TypeError);
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, multiplier: null as never })).toThrow(
        new TypeError("backoff.multiplier must be a number, got null"),
      );
    });
    it("maxDelay must be a finite number ≥ 0", () => {
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, maxDelay: -1 })).toThrow(/^backoff\.maxDelay/);
      expect(() => BackoffPolicy.exponential({ initialDelay: 1, maxDelay: Infinity })).toThrow(RangeError);
    });
    it("jitter must be none or full; random a function", () => {
      expect(() => BackoffPolicy.fixed(1, { jitter: "half" as never })).toThrow(new RangeError('backoff.jitter must be one of none | full, got "half"'));
      expect(() => BackoffPolicy.fixed(1, { jitter: true as never })).toThrow(TypeError);
      expect(() => BackoffPolicy.fixed(1, { random: 0.5 as never })).toThrow(new TypeError("backoff.random must be a function, got 0.5"));
    });
    it("from() rejects a non-object and names fields with its name", () => {
      expect(() => BackoffPolicy.from(null as never)).toThrow(new TypeError("backoff must be a BackoffPolicy object"));
      expect(() => BackoffPolicy.from({ initialDelay: -1, multiplier: 1 }, "reconnect")).toThrow(/^reconnect\.initialDelay/);
    });
  });
});

describe("delayForAttempt", () => {
  it("attempt 1 waits 0, whatever the policy", () => {
    expect(delayForAttempt(BackoffPolicy.fixed(100, { jitter: "full", random: () => 1 }), 1)).toBe(0);
    expect(delayForAttempt(BackoffPolicy.exponential({ initialDelay: 5 }), 1)).toBe(0);
  });

  it("rejects attempts that are not positive integers", () => {
    const backoff = BackoffPolicy.fixed(1);
    for (const attempt of [0, -1, 1.5, NaN, Infinity]) {
      expect(() => delayForAttempt(backoff, attempt)).toThrow(RangeError);
      expect(() => delayForAttempt(backoff, attempt)).toThrow(/^attempt must be a positive integer/);
    }
    expect(() => delayForAttempt(backoff, "2" as never)).toThrow(new TypeError("attempt must be a number, got string"));
  });

  describe("overflow", () => {
    it("yields maxDelay when set", () => {
      const backoff = BackoffPolicy.exponential({ initialDelay: 1, multiplier: 10, maxDelay: 5_000 });
      expect(delayForAttempt(backoff, 400)).toBe(5_000);
      expect(delayForAttempt(backoff, 2_000_000)).toBe(5_000);
    });
    it("is a RangeError without maxDelay", () => {
      const backoff = BackoffPolicy.exponential({ initialDelay: 1, multiplier: 10 });
      expect(delayForAttempt(backoff, 300)).toBe(1e298);
      expect(() => delayForAttempt(backoff, 400)).toThrow(RangeError);
      expect(() => delayForAttempt(backoff, 400)).toThrow(/overflows; set maxDelay/);
    });
    it("never happens with a zero initial delay", () => {
      expect(delayForAttempt(BackoffPolicy.exponential({ initialDelay: 0, multiplier: 10 }), 5_000)).toBe(0);
    });
  });

  describe("jitter", () => {
    it("full draws uniformly in [0, delay] with the backoff's random", () => {
      const backoff = BackoffPolicy.fixed(100, { jitter: "full", random: () => 0.25 });
      expectDelays(backoff, [0, 25, 25]);
    });
    it("is applied after the maxDelay cap", () => {
      const backoff = BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2, maxDelay: 300, jitter: "full", random: () => 0.5 });
      expectDelays(backoff, [0, 50, 100, 150, 150, 150]);
      expect(delayForAttempt(backoff, 10_000)).toBe(150);
    });
    it("a random argument overrides the backoff's own", () => {
      const backoff = BackoffPolicy.fixed(100, { jitter: "full", random: () => 0.25 });
      expect(delayForAttempt(backoff, 2, () => 0.75)).toBe(75);
    });
    it("none ignores random", () => {
      const backoff = BackoffPolicy.fixed(100, { jitter: "none", random: () => 0.25 });
      expect(delayForAttempt(backoff, 2)).toBe(100);
      expect(delayForAttempt(BackoffPolicy.fixed(100), 2, () => 0)).toBe(100);
    });
    it("defaults to Math.random, staying within [0, delay] (property)", () => {
      const backoff = BackoffPolicy.exponential({ initialDelay: 10, maxDelay: 1_000, jitter: "full" });
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 100 }), (attempt) => {
          const cap = Math.min(10 * 2 ** (attempt - 2), 1_000);
          const delay = delayForAttempt(backoff, attempt);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(cap);
        }),
      );
    });
  });

  it("without jitter grows monotonically up to the cap (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (initialDelay, multiplier, maxDelay) => {
          const backoff = BackoffPolicy.exponential({ initialDelay, multiplier, maxDelay });
          let previous = 0;
          for (let attempt = 1; attempt <= 60; attempt++) {
            const delay = delayForAttempt(backoff, attempt);
            expect(delay).toBeGreaterThanOrEqual(previous);
            expect(delay).toBeLessThanOrEqual(maxDelay);
            previous = delay;
          }
        },
      ),
    );
  });
});
