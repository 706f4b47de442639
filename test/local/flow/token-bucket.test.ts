import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock, RatePolicy, TokenBucket } from "../../../src/index.js";

describe("TokenBucket", () => {
  it("starts full, takes while tokens last, refills from the clock", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ rate: 10, per: 1000, burst: 2, clock });
    expect(bucket.capacity).toBe(2);
    expect(bucket.tokens).toBe(2);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.timeUntil(1)).toBe(100);
    clock.advance(50);
    expect(bucket.tokens).toBeCloseTo(0.5);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(50);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(10_000);
    expect(bucket.tokens).toBe(2); // capped at burst
  });

  it("charges costs and says Infinity for a cost above the capacity", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ rate: 4, per: 1000, burst: 4, clock });
    expect(bucket.tryTake(3)).toBe(true);
    expect(bucket.tryTake(2)).toBe(false);
    expect(bucket.timeUntil(2)).toBe(250);
    expect(bucket.timeUntil(5)).toBe(Infinity);
    expect(bucket.timeUntil(0)).toBe(0);
  });

  it("starts at the given tokens and refills nothing when the clock goes back", () => {
    let now = 1000;
    const clock = { now: () => now };
    const bucket = new TokenBucket({ rate: 1, per: 10, burst: 5, tokens: 0, clock });
    expect(bucket.tokens).toBe(0);
    now = 500; // backwards
    expect(bucket.tokens).toBe(0);
    now = 520; // 20 ms after the re-anchor, not 20 ms after 1000
    expect(bucket.tokens).toBeCloseTo(2);
  });

  it("an unlimited bucket always grants", () => {
    const bucket = new TokenBucket({ ...RatePolicy.unlimited(), clock: new ManualClock() });
    for (let i = 0; i < 1000; i++) expect(bucket.tryTake(1e6)).toBe(true);
    expect(bucket.timeUntil(1e9)).toBe(0);
  });

  it("reset restores a level, clamped to the capacity", () => {
    const bucket = new TokenBucket({ rate: 1, burst: 3, clock: new ManualClock() });
    bucket.tryTake(3);
    bucket.reset(10);
    expect(bucket.tokens).toBe(3);
    bucket.reset(1);
    expect(bucket.tokens).toBe(1);
  });

  it("validates its options", () => {
    expect(() => new TokenBucket({ rate: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ rate: "1" as unknown as number })).toThrow(TypeError);
    expect(() => new TokenBucket({ rate: 1, per: -1 })).toThrow(/per/);
    expect(() => new TokenBucket({ rate: 1, burst: 2, tokens: 3 })).toThrow(/tokens must be at most burst/);
    expect(() => new TokenBucket({ rate: 1, clock: {} as never })).toThrow(TypeError);
  });

  it("property: over any window of t ms the tokens taken are at most burst + rate·t/per", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 5 })), { maxLength: 200 }),
        (rate, per, burst, steps) => {
          const clock = new ManualClock();
          const bucket = new TokenBucket({ rate, per, burst, clock });
          const taken: [number, number][] = [];
          for (const [gap, cost] of steps) {
            clock.advance(gap);
            if (bucket.tryTake(cost)) taken.push([clock.now(), cost]);
          }
          for (let i = 0; i < taken.length; i++) {
            let sum = 0;
            for (let j = i; j < taken.length; j++) {
              sum += taken[j]![1];
              const t = taken[j]![0] - taken[i]![0];
              expect(sum).toBeLessThanOrEqual(burst + (rate * t) / per + 1e-6);
            }
          }
        },
      ),
    );
  });
});
