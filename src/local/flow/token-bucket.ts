import { optional, optionalGroup, requireNonNegative, requireObject } from "../../atom/validate.js";
import { isClock, systemClock, type Clock } from "../../time/clock.js";
import { RatePolicy, type RatePolicyOptions } from "../../policy/rate-policy.js";

/** Options of {@link TokenBucket}: a {@link RatePolicy} (or its fields) plus a clock. */
export interface TokenBucketOptions extends RatePolicyOptions {
  /** Tokens at construction, in `[0, burst]`. @default burst (full) */
  tokens?: number;
  /** Where time comes from; any RxJS scheduler is a Clock. @default systemClock */
  clock?: Clock;
  /** Group label. @default undefined */
  group?: string;
}

/**
 * Float tolerance: a wait of `timeUntil(c)` ms may refill `c − 1e-12`
 * tokens by rounding; such a take is granted (and the bucket clamped at 0)
 * rather than rescheduled for a nanosecond.
 */
const EPSILON = 1e-9;

/**
 * The catalog's `TokenBucket`: holds up to `burst` tokens, refilled at
 * `rate` per `per` ms from a Clock; `tryTake(cost)` takes `cost` tokens when
 * they are there. Refill is computed from elapsed time on each call — no
 * timer; a clock that goes backwards refills nothing. Allocation-free.
 *
 * ## Example
 * ```ts
 * const clock = new ManualClock();
 * const bucket = new TokenBucket({ rate: 10, per: 1000, burst: 2, clock });
 * bucket.tryTake(); bucket.tryTake(); // true, true
 * bucket.tryTake();                   // false
 * bucket.timeUntil(1);                // 100 (ms)
 * ```
 * @see {@link RatePolicy} its configuration; `rateLimit` the operator.
 * @lego TokenBucket
 */
export class TokenBucket {
  readonly policy: RatePolicy;
  /** Tokens per ms. */
  readonly refillRate: number;
  readonly clock: Clock;
  group: string | undefined;
  private level: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    requireObject("options", options);
    this.policy = RatePolicy.from(options, "options");
    this.refillRate = this.policy.rate / this.policy.per;
    if (options.clock !== undefined && !isClock(options.clock)) throw new TypeError("clock must be a Clock (with now())");
    this.clock = options.clock ?? systemClock;
    this.group = optionalGroup(options.group);
    const tokens = optional("tokens", options.tokens, requireNonNegative);
    if (tokens !== undefined && tokens > this.policy.burst) {
      throw new RangeError(`tokens must be at most burst (${this.policy.burst}), got ${tokens}`);
    }
    this.level = tokens ?? this.policy.burst;
    this.last = this.clock.now();
  }

  /** Bucket capacity (the policy's burst). */
  get capacity(): number {
    return this.policy.burst;
  }

  /** Tokens available now. */
  get tokens(): number {
    this.refill(this.clock.now());
    return this.level;
  }

  /** Takes `cost` tokens if available now; true when taken. */
  tryTake(cost = 1): boolean {
    this.refill(this.clock.now());
    if (this.level + EPSILON < cost) return false;
    this.level = this.level > cost ? this.level - cost : 0;
    return true;
  }

  /**
   * Ms until `cost` tokens are available (0 when they are now);
   * `Infinity` when `cost` exceeds the capacity and never can be.
   */
  timeUntil(cost = 1): number {
    if (cost > this.policy.burst) return Infinity;
    this.refill(this.clock.now());
    const missing = cost - this.level;
    if (missing <= EPSILON) return 0;
    const wait = missing / this.refillRate;
    // 3.0000000000000004 ms is 3 ms: float noise must not shift a wait off the scheduler's grid.
    const whole = Math.round(wait);
    return Math.abs(wait - whole) < 1e-6 && whole > 0 ? whole : wait;
  }

  /** Sets the level (clamped to `[0, capacity]`), e.g. to restore a saved bucket. */
  reset(tokens = this.policy.burst): void {
    this.last = this.clock.now();
    this.level = Math.min(Math.max(requireNonNegative("tokens", tokens), 0), this.policy.burst);
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    if (elapsed <= 0) {
      // A clock that went backwards refills nothing; re-anchor so it cannot refill twice later.
      if (elapsed < 0) this.last = now;
      return;
    }
    this.last = now;
    if (this.level >= this.policy.burst) return;
    const level = this.level + elapsed * this.refillRate;
    this.level = level > this.policy.burst ? this.policy.burst : level;
  }
}
