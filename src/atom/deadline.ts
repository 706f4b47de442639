import { requireFinite, requireNonNegative } from "./validate.js";

/** What a deadline reads time from: any `Clock` or RxJS scheduler (`now()` in ms). */
export interface DeadlineClock {
  now(): number;
}

function requireClock(name: string, value: unknown): DeadlineClock {
  if (typeof value !== "object" || value === null || typeof (value as { now?: unknown }).now !== "function") {
    throw new TypeError(`${name} must be a Clock (with now())`);
  }
  return value as DeadlineClock;
}

/**
 * The catalog's `Deadline` atom: an absolute time (ms on one clock) by which
 * something must finish. Passing one Deadline down a chain keeps the total
 * budget instead of restarting a timeout at every hop.
 *
 * Frozen and validated: `at` is a finite number. Build one with
 * {@link deadline}(clock, ms) (ms from now) or `Deadline.at(t)`; combine with
 * `Deadline.earliest(…)` or `a.min(b)`. A deadline is only comparable with
 * the clock that set it: across machines, subtract a safety margin (`a.minus(ms)`).
 *
 * ## Example
 * ```ts
 * const budget = deadline(scheduler, 250);   // 250 ms from now
 * budget.remaining(scheduler);               // 250, then less
 * budget.expired(scheduler);                 // true from now + 250 on
 * Deadline.earliest(budget, Deadline.at(1_000)).at;
 * ```
 * @see {@link deadline}, {@link TTL}
 * @lego Deadline
 */
export class Deadline {
  /** The absolute time in ms (on the clock that made it) at which the deadline passes. */
  readonly at: number;

  private constructor(at: number) {
    this.at = at;
    Object.freeze(this);
  }

  /** A deadline at the absolute time `t` (ms, finite). */
  static at(t: number): Deadline {
    return new Deadline(requireFinite("t", t));
  }

  /** A deadline `ms` (finite, ≥ 0) after `clock.now()`. */
  static after(clock: DeadlineClock, ms: number): Deadline {
    requireClock("clock", clock);
    return new Deadline(clock.now() + requireNonNegative("ms", ms));
  }

  /** The earliest of the given deadlines (the tightest budget); a `RangeError` when none is given. */
  static earliest(...deadlines: readonly Deadline[]): Deadline {
    let best: Deadline | undefined;
    for (const [i, d] of deadlines.entries()) {
      if (!isDeadline(d)) throw new TypeError(`deadlines[${i}] must be a Deadline`);
      if (best === undefined || d.at < best.at) best = d;
    }
    if (best === undefined) throw new RangeError("deadlines must not be empty");
    return best;
  }

  /** Milliseconds left at `clock.now()` (or `now`); 0 once passed, never negative. */
  remaining(clock: DeadlineClock | number): number {
    const now = typeof clock === "number" ? clock : clock.now();
    return this.at > now ? this.at - now : 0;
  }

  /** True from `at` on: `now ≥ at`. */
  expired(clock: DeadlineClock | number): boolean {
    const now = typeof clock === "number" ? clock : clock.now();
    return now >= this.at;
  }

  /** The earlier of this deadline and `other`. */
  min(other: Deadline): Deadline {
    if (!isDeadline(other)) throw new TypeError("other must be a Deadline");
    return other.at < this.at ? other : this;
  }

  /** This deadline moved `ms` earlier: a safety margin for clock drift. */
  minus(ms: number): Deadline {
    return new Deadline(this.at - requireNonNegative("ms", ms));
  }

  toJSON(): { at: number } {
    return { at: this.at };
  }
}

/**
 * A {@link Deadline} `ms` (finite, ≥ 0) after `clock.now()`; the scheduler
 * of an operator is a clock.
 *
 * ## Example
 * ```ts
 * const d = deadline(asyncScheduler, 5_000);
 * ```
 * @lego Deadline
 */
export function deadline(clock: DeadlineClock, ms: number): Deadline {
  return Deadline.after(clock, ms);
}

/** True when `value` is a {@link Deadline}. */
export function isDeadline(value: unknown): value is Deadline {
  return value instanceof Deadline;
}
