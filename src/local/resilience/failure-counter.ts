import { optionalGroup, requireObject } from "../../atom/validate.js";
import { adoptGroup } from "../../atom/grouped.js";
import { isClock, type Clock } from "../../time/clock.js";
import { slidingWindow, type OutcomeWindow, type WindowSnapshot, type WindowSpec } from "./window.js";

const SUCCESS = 0;
const FAILURE = 1;

/** Options of {@link FailureCounter}. */
export interface FailureCounterOptions {
  /**
   * The window outcomes are counted over: a spec (`{ by: "count", size: 20 }`,
   * `{ by: "time", size: 10_000, buckets: 10 }`) or a window with 2
   * categories you built. A count window reads no clock; a time window
   * reads it on every record. @default { by: "count", size: 100 }
   */
  window?: WindowSpec | OutcomeWindow;
  /** Where a time window reads time when not given `now`. @default systemClock */
  clock?: Clock;
  /** Group label, given to the window when it has none. @default undefined */
  group?: string;
}

/** Calls, failures and successes in a window at one time. */
export interface FailureCounts {
  readonly calls: number;
  readonly failures: number;
  readonly successes: number;
}

/** The last 100 calls (resilience4j's default): no clock read per call. */
export const DEFAULT_WINDOW: WindowSpec = Object.freeze({ by: "count", size: 100 });

function isOutcomeWindow(value: unknown): value is OutcomeWindow {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { record?: unknown }).record === "function" &&
    typeof (value as { count?: unknown }).count === "function"
  );
}

/**
 * The catalog's `FailureCounter`: counts the outcomes (success, failure) of
 * recent calls to one dependency over a {@link CountWindow} or
 * {@link TimeWindow}, for a breaker's `ThresholdPolicy` to judge. It only
 * counts what it is told: a hanging call must be reported as a failure when
 * its timeout fires.
 *
 * ## Example
 * ```ts
 * const counter = new FailureCounter({ window: { by: "count", size: 10 } });
 * counter.failure(); counter.success();
 * counter.counts(); // { calls: 2, failures: 1, successes: 1 }
 * thresholdTripped(ThresholdPolicy.ratio(0.5, { minimumCalls: 2 }), counter.failures(), counter.calls()); // true
 * ```
 * @see {@link CircuitBreaker}, {@link ThresholdPolicy}
 * @lego FailureCounter
 */
export class FailureCounter {
  readonly window: OutcomeWindow;
  group: string | undefined;

  constructor(options: FailureCounterOptions = {}) {
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    if (options.clock !== undefined && !isClock(options.clock)) throw new TypeError("clock must be a Clock (with now())");
    const window = options.window ?? DEFAULT_WINDOW;
    if (isOutcomeWindow(window)) {
      if (window.categories < 2) throw new RangeError("window must have at least 2 categories (success, failure)");
      this.window = window;
    } else {
      const extra: { clock?: Clock; group?: string } = {};
      if (options.clock !== undefined) extra.clock = options.clock;
      if (this.group !== undefined) extra.group = this.group;
      this.window = slidingWindow(window, extra);
    }
    adoptGroup(this.window, this.group);
  }

  /** Records a successful call (at `now`). */
  success(now?: number): void {
    this.window.record(SUCCESS, now);
  }

  /** Records a failed call (at `now`). */
  failure(now?: number): void {
    this.window.record(FAILURE, now);
  }

  /** Failures in the window. */
  failures(now?: number): number {
    return this.window.count(FAILURE, now);
  }

  /** Successes in the window. */
  successes(now?: number): number {
    return this.window.count(SUCCESS, now);
  }

  /** Calls (successes + failures) in the window. */
  calls(now?: number): number {
    return this.window.count(SUCCESS, now) + this.window.count(FAILURE, now);
  }

  /** All three counts at once. */
  counts(now?: number): FailureCounts {
    const failures = this.window.count(FAILURE, now);
    const successes = this.window.count(SUCCESS, now);
    return Object.freeze({ calls: failures + successes, failures, successes });
  }

  /** Forgets every outcome (a breaker does this when it closes). */
  reset(): void {
    this.window.reset();
  }

  /** The window's contents as data. */
  snapshot(now?: number): WindowSnapshot {
    return this.window.snapshot(now);
  }

  /** Restores what {@link FailureCounter.snapshot} exported. */
  restore(snapshot: WindowSnapshot): void {
    this.window.restore(snapshot);
  }
}
