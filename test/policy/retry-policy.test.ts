import { describe, expect, it } from "vitest";
import { RetryPolicy } from "../../src/index.js";

describe("RetryPolicy", () => {
  it("attempts(n): n attempts in all, every error retried by default", () => {
    const policy = RetryPolicy.attempts(3);
    expect(policy.maxAttempts).toBe(3);
    expect(policy.retryOn(new Error("x"))).toBe(true);
    expect(policy.retryOn("anything")).toBe(true);
  });

  it("attempts(n, retryOn) keeps the predicate", () => {
    const transient = (e: unknown): boolean => e === "transient";
    const policy = RetryPolicy.attempts(2, transient);
    expect(policy.retryOn).toBe(transient);
    expect(policy.retryOn("fatal")).toBe(false);
  });

  it("attempts(Infinity) is allowed", () => {
    expect(RetryPolicy.attempts(Infinity).maxAttempts).toBe(Infinity);
  });

  it("never() makes one attempt", () => {
    expect(RetryPolicy.never().maxAttempts).toBe(1);
  });

  it("forever() has maxAttempts === Infinity, optionally with a predicate", () => {
    expect(RetryPolicy.forever().maxAttempts).toBe(Infinity);
    expect(RetryPolicy.forever().retryOn(1)).toBe(true);
    expect(RetryPolicy.forever(() => false).retryOn(1)).toBe(false);
  });

  it("makes frozen policies", () => {
    for (const policy of [RetryPolicy.attempts(2), RetryPolicy.never(), RetryPolicy.forever(), RetryPolicy.from({ maxAttempts: 2, retryOn: () => true })]) {
      expect(Object.isFrozen(policy)).toBe(true);
      expect(() => {
        (policy as { maxAttempts: number }).maxAttempts = 9;
      }).toThrow(TypeError);
    }
    expect(Object.isFrozen(RetryPolicy)).toBe(true);
  });

  describe("validation", () => {
    it.each([0, -1, 1.5, NaN, -Infinity])("attempts(%s) is a RangeError naming maxAttempts", (n) => {
      expect(() => RetryPolicy.attempts(n)).toThrow(RangeError);
      expect(() => RetryPolicy.attempts(n)).toThrow(/^maxAttempts must be a positive integer or Infinity/);
    });
    it("a non-number count is a TypeError", () => {
      expect(() => RetryPolicy.attempts("3" as never)).toThrow(new TypeError('maxAttempts must be a number, got "3"'));
    });
    it("a non-function retryOn is a TypeError", () => {
      expect(() => RetryPolicy.attempts(3, "yes" as never)).toThrow(new TypeError('retryOn must be a function, got "yes"'));
      expect(() => RetryPolicy.forever(null as never)).toThrow(new TypeError("retryOn must be a function, got null"));
    });
  });

  describe("from(policy)", () => {
    it("returns a frozen copy of a valid structural policy", () => {
      const retryOn = (): boolean => true;
      const source = { maxAttempts: 4, retryOn };
      const policy = RetryPolicy.from(source);
      expect(policy).toEqual({ maxAttempts: 4, retryOn });
      expect(policy).not.toBe(source);
      expect(Object.isFrozen(policy)).toBe(true);
    });
    it("names the option in its messages", () => {
      expect(() => RetryPolicy.from(undefined as never)).toThrow(new TypeError("retry must be a RetryPolicy object"));
      expect(() => RetryPolicy.from({ maxAttempts: 0, retryOn: () => true }, "policy")).toThrow(/^policy\.maxAttempts/);
      expect(() => RetryPolicy.from({ maxAttempts: 1 } as never)).toThrow(/^retry\.retryOn must be a function/);
    });
  });
});
