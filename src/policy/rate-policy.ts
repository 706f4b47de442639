import { optional, requireNumber, requireObject, requirePositive } from "../atom/validate.js";

/**
 * The catalog's `RatePolicy`: `rate` units per `per` ms, with bursts of up to
 * `burst` units (the bucket's capacity). Pure, frozen data; `rate: Infinity`
 * means no limit. Drives {@link TokenBucket} and `rateLimit`.
 */
export interface RatePolicy {
  /** Units allowed per `per` ms; `Infinity` for no limit. */
  readonly rate: number;
  /** The interval `rate` is counted over, in ms. */
  readonly per: number;
  /** Most units that may pass at once (bucket capacity). */
  readonly burst: number;
}

/** Options of {@link RatePolicy.of}. */
export interface RatePolicyOptions {
  /** Units allowed per `per` ms, > 0 (`Infinity` for no limit). */
  rate: number;
  /** The interval in ms. @default 1000 */
  per?: number;
  /** Bucket capacity, > 0. @default rate (one interval's worth) */
  burst?: number;
}

function positiveOrInfinity(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (n === Infinity) return n;
  return requirePositive(name, n);
}

function make(options: RatePolicyOptions, name: string): RatePolicy {
  requireObject(name, options);
  const rate = positiveOrInfinity(`${name}.rate`, options.rate);
  const per = optional(`${name}.per`, options.per, requirePositive) ?? 1000;
  const burst = optional(`${name}.burst`, options.burst, positiveOrInfinity) ?? rate;
  if (rate !== Infinity && burst === Infinity) throw new RangeError(`${name}.burst must be finite when rate is finite`);
  return Object.freeze({ rate, per, burst });
}

export const RatePolicy = Object.freeze({
  /** `rate` units per `per` ms (default 1000), bursts up to `burst` (default `rate`). */
  of(options: RatePolicyOptions): RatePolicy {
    return make(options, "rate");
  },
  /** `n` units per second, bursts up to `burst` (default `n`). */
  perSecond(n: number, burst?: number): RatePolicy {
    return make(burst === undefined ? { rate: n } : { rate: n, burst }, "rate");
  },
  /** No limit: every unit passes at once. */
  unlimited(): RatePolicy {
    return make({ rate: Infinity }, "rate");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: RatePolicy | RatePolicyOptions, name = "rate"): RatePolicy {
    return make(policy, name);
  },
});

/** Units refilled per ms (`Infinity` when unlimited). */
export function refillPerMs(policy: RatePolicy): number {
  return policy.rate / policy.per;
}
