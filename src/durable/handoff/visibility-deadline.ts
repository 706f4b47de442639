import type { SchedulerLike, Subscription } from "rxjs";
import { optionalGroup, requireFunction, requireNonNegative, requireObject, requirePositive } from "../../atom/validate.js";
import { schedulerOption } from "../../time/scheduler.js";

/** Options of {@link VisibilityDeadline}. */
export interface VisibilityDeadlineOptions<K> {
  /** Default visibility timeout, ms. */
  timeout: number;
  /** Called once when a key's deadline passes without {@link VisibilityDeadline.clear}. */
  onLapse: (key: K) => void;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label linking the deadlines (and a ManualClock scheduler without one) to their component. */
  group?: string;
}

interface Hidden {
  deadline: number;
  timer: Subscription;
}

/**
 * Hides delivered messages until a deadline (the catalog's
 * `VisibilityDeadline`): one scheduler timer per in-flight key; when it
 * fires, `onLapse(key)` makes the message visible again. `extend` moves
 * the deadline (a renewal); `clear` ends it (the message was settled).
 * Time comes only from the scheduler, so a lapse is exact in virtual time.
 *
 * ```text
 * start(k, 100) at t=0, extend(k, 100) at t=50  ->  onLapse(k) at t=150
 * ```
 *
 * ## Example
 * ```ts
 * const deadlines = new VisibilityDeadline<number>({ timeout: 30_000, onLapse: (token) => redeliver(token) });
 * deadlines.start(token);       // hidden for 30 s
 * deadlines.extend(token, 60_000); // still working: 60 s from now
 * deadlines.clear(token);       // acked
 * ```
 * @see {@link AckTracker}
 * @lego VisibilityDeadline
 */
export class VisibilityDeadline<K> {
  readonly timeout: number;
  readonly group: string | undefined;
  readonly #scheduler: SchedulerLike;
  readonly #onLapse: (key: K) => void;
  readonly #hidden = new Map<K, Hidden>();

  constructor(options: VisibilityDeadlineOptions<K>) {
    requireObject("options", options);
    this.timeout = requirePositive("timeout", options.timeout);
    this.#onLapse = requireFunction("onLapse", options.onLapse);
    this.group = optionalGroup(options.group);
    this.#scheduler = schedulerOption(options.scheduler, this.group);
  }

  /** Hides `key` until now + `ms` (default {@link timeout}). */
  start(key: K, ms: number = this.timeout): number {
    requireNonNegative("ms", ms);
    this.clear(key);
    const deadline = this.#scheduler.now() + ms;
    const timer = this.#scheduler.schedule(() => {
      if (this.#hidden.get(key)?.timer !== timer) return;
      this.#hidden.delete(key);
      this.#onLapse(key);
    }, ms);
    this.#hidden.set(key, { deadline, timer });
    return deadline;
  }

  /** Moves `key`'s deadline to now + `ms`; answers the new deadline, or `undefined` when `key` is not hidden. */
  extend(key: K, ms: number = this.timeout): number | undefined {
    if (!this.#hidden.has(key)) return undefined;
    return this.start(key, ms);
  }

  /** Ends `key`'s deadline without a lapse; answers whether it was hidden. */
  clear(key: K): boolean {
    const hidden = this.#hidden.get(key);
    if (hidden === undefined) return false;
    this.#hidden.delete(key);
    hidden.timer.unsubscribe();
    return true;
  }

  /** When `key` becomes visible again, or `undefined`. */
  deadlineOf(key: K): number | undefined {
    return this.#hidden.get(key)?.deadline;
  }

  /** Keys hidden now. */
  get size(): number {
    return this.#hidden.size;
  }

  /** Cancels every timer (no lapse is reported). */
  clearAll(): void {
    for (const { timer } of this.#hidden.values()) timer.unsubscribe();
    this.#hidden.clear();
  }
}
