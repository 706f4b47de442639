import { Deadline, type DeadlineClock } from "./deadline.js";
import { requireNonNegative } from "./validate.js";

/**
 * The catalog's `TTL` atom: how long a value stays valid after it is written
 * or refreshed, a validated duration in ms (finite, ≥ 0; 0 means "expired as
 * soon as written"). Frozen.
 *
 * Expiry is lazy: whoever reads compares `expiresAt(writtenAt)` with the
 * clock (or `expired(writtenAt, now)`); nothing is removed by the TTL itself.
 *
 * ## Example
 * ```ts
 * const fresh = ttl(30_000);
 * const expiresAt = fresh.expiresAt(clock.now());
 * fresh.expired(writtenAt, clock.now());     // true once 30 s have passed
 * fresh.deadline(clock);                     // a Deadline 30 s from now
 * ```
 * @see {@link Deadline}
 * @lego TTL
 */
export class TTL {
  /** The duration in ms. */
  readonly ms: number;

  constructor(ms: number) {
    this.ms = requireNonNegative("ttl", ms);
    Object.freeze(this);
  }

  /** When something written (or refreshed) at `now` expires. */
  expiresAt(now: number): number {
    return now + this.ms;
  }

  /** True when something written at `writtenAt` has expired at `now` (`now ≥ writtenAt + ms`). */
  expired(writtenAt: number, now: number): boolean {
    return now >= writtenAt + this.ms;
  }

  /** The {@link Deadline} of something written now on `clock`. */
  deadline(clock: DeadlineClock): Deadline {
    return Deadline.after(clock, this.ms);
  }

  toJSON(): number {
    return this.ms;
  }
}

/** A {@link TTL} of `ms` (finite, ≥ 0). @lego TTL */
export function ttl(ms: number): TTL {
  return new TTL(ms);
}
