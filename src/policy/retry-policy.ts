import { requireCount, requireFunction } from "../atom/validate.js";

/**
 * The catalog's `RetryPolicy`: how many attempts in all (the first try
 * counts) and which errors deserve another.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly retryOn: (error: unknown) => boolean;
}

const always = (): boolean => true;

function make(maxAttempts: number, retryOn: (error: unknown) => boolean): RetryPolicy {
  return Object.freeze({ maxAttempts, retryOn });
}

export const RetryPolicy = Object.freeze({
  /** `n` attempts in all (a positive integer or `Infinity`), retrying errors `retryOn` accepts (default: all). */
  attempts(n: number, retryOn: (error: unknown) => boolean = always): RetryPolicy {
    return make(requireCount("maxAttempts", n), requireFunction("retryOn", retryOn));
  },
  /** One attempt: the first error goes downstream. */
  never(): RetryPolicy {
    return make(1, always);
  },
  /** Retry every accepted error forever (`maxAttempts === Infinity`). */
  forever(retryOn: (error: unknown) => boolean = always): RetryPolicy {
    return make(Infinity, requireFunction("retryOn", retryOn));
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: RetryPolicy, name = "retry"): RetryPolicy {
    if (typeof policy !== "object" || (policy as unknown) === null) throw new TypeError(`${name} must be a RetryPolicy object`);
    return make(requireCount(`${name}.maxAttempts`, policy.maxAttempts), requireFunction(`${name}.retryOn`, policy.retryOn));
  },
});
