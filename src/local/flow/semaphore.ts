import { optional, optionalGroup, requireNonNegativeInteger, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { Ring } from "./ring.js";

/** Options of {@link Semaphore}. */
export interface SemaphoreOptions {
  /** Permits, a positive integer. */
  permits: number;
  /** Most waiters held, an integer >= 0. @default 0 */
  maxWaiters?: number;
  /** Group label. @default undefined */
  group?: string;
}

/** The outcome of {@link Semaphore.acquire}. */
export type AcquireResult = "acquired" | "queued" | "full";

/**
 * The catalog's `Semaphore` as a pure machine: at most `permits` holders,
 * and a bounded FIFO of waiters (any token: a value, a callback). `release()`
 * hands the permit straight to the oldest waiter and returns it, so a freed
 * permit cannot be stolen by a newcomer (FIFO fairness). No timers, no
 * allocation per call once the waiter ring has grown.
 *
 * ## Example
 * ```ts
 * const s = new Semaphore<string>({ permits: 1, maxWaiters: 1 });
 * s.acquire("a"); // "acquired"
 * s.acquire("b"); // "queued"
 * s.acquire("c"); // "full"
 * s.release();    // "b" (now holds the permit)
 * ```
 * @see `bulkhead` the operator; {@link ConcurrencyPolicy} its configuration.
 * @lego Semaphore
 */
export class Semaphore<W = unknown> {
  readonly permits: number;
  readonly maxWaiters: number;
  group: string | undefined;
  private held = 0;
  private readonly waiters: Ring<W>;

  constructor(options: SemaphoreOptions) {
    requireObject("options", options);
    this.permits = requirePositiveInteger("permits", options.permits);
    this.maxWaiters = optional("maxWaiters", options.maxWaiters, requireNonNegativeInteger) ?? 0;
    this.group = optionalGroup(options.group);
    this.waiters = new Ring<W>(Math.max(this.maxWaiters, 1));
  }

  /** Permits held now. */
  get inUse(): number {
    return this.held;
  }

  /** Permits free now. */
  get available(): number {
    return this.permits - this.held;
  }

  /** Waiters in line now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Takes a permit if one is free (never queues). */
  tryAcquire(): boolean {
    if (this.held >= this.permits) return false;
    this.held++;
    return true;
  }

  /** Takes a permit for `waiter`, or queues it, or reports the line `full`. */
  acquire(waiter: W): AcquireResult {
    if (this.held < this.permits) {
      this.held++;
      return "acquired";
    }
    if (this.waiters.size >= this.maxWaiters) return "full";
    this.waiters.push(waiter);
    return "queued";
  }

  /**
   * Returns a permit. When someone waits, the permit passes to the oldest
   * waiter, which is returned; otherwise `undefined`.
   */
  release(): W | undefined {
    if (this.held === 0) throw new RangeError("release() without a held permit");
    if (this.waiters.size > 0) return this.waiters.shift();
    this.held--;
    return undefined;
  }

  /** Removes and returns the oldest waiter (to evict it), `undefined` when none. */
  evictOldest(): W | undefined {
    return this.waiters.shift();
  }

  /** Removes `waiter` from the line (it gave up); true when it was there. */
  cancel(waiter: W): boolean {
    for (let i = 0; i < this.waiters.size; i++) {
      if (this.waiters.at(i) === waiter) {
        this.waiters.removeAt(i);
        return true;
      }
    }
    return false;
  }

  /** Empties the line, returning the number of waiters removed. */
  clearWaiters(): number {
    const n = this.waiters.size;
    this.waiters.clear();
    return n;
  }
}
