import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";
import { optionalGroup, requireFinite, requireFunction, requireNonNegative, requireObject } from "../../atom/validate.js";
import { schedulerOption } from "../../time/scheduler.js";

/** Options of {@link Timer}. */
export interface TimerOptions {
  /** Where time and the timer come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

function fire(this: SchedulerAction<Timer>, timer?: Timer): void {
  // module-level work: arming allocates no closure
  timer?.fire();
}

/**
 * The catalog's `Timer`: one re-armable action on a scheduler. `start(ms)`
 * (or `startAt(t)`) arms it, re-arming replaces the pending run, and
 * `cancel()` guarantees the action will not start. It runs at its due time
 * or later (timers fire late under load, never early by their clock).
 *
 * It allocates nothing beyond the scheduler's action, so a component can
 * keep one per instance (the circuit breaker's half-open timer) instead of
 * a closure per arming.
 *
 * ## Example
 * ```ts
 * const t = new Timer(() => breaker.halfOpen(), { scheduler });
 * t.start(5_000);   // in 5 s
 * t.start(1_000);   // now in 1 s instead
 * t.cancel();       // never
 * ```
 * @see {@link withTimeout}, {@link CircuitBreaker}
 * @lego Timer
 */
export class Timer {
  readonly scheduler: SchedulerLike;
  group: string | undefined;
  private readonly action: () => void;
  private scheduled: Subscription | undefined;
  private due: number | undefined;

  constructor(action: () => void, options: TimerOptions = {}) {
    this.action = requireFunction("action", action);
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    this.scheduler = schedulerOption(options.scheduler, this.group);
  }

  /** True while armed and not yet run. */
  get pending(): boolean {
    return this.due !== undefined;
  }

  /** When the armed action is due, or `undefined`. */
  get dueAt(): number | undefined {
    return this.due;
  }

  /** Arms the timer to run `ms` (finite, ≥ 0) from now, replacing a pending run. */
  start(ms: number): void {
    requireNonNegative("ms", ms);
    this.cancel();
    this.due = this.scheduler.now() + ms;
    const scheduled = this.scheduler.schedule(fire, ms, this);
    // a scheduler may run delay-0 work synchronously: then it is already done
    if (this.pending) this.scheduled = scheduled;
  }

  /** Arms the timer to run at the absolute time `t` (at once if it has passed). */
  startAt(t: number): void {
    requireFinite("t", t);
    const now = this.scheduler.now();
    this.start(t > now ? t - now : 0);
  }

  /** Disarms: the action will not start. */
  cancel(): void {
    this.due = undefined;
    const scheduled = this.scheduled;
    this.scheduled = undefined;
    scheduled?.unsubscribe();
  }

  /** @internal called by the scheduled work */
  fire(): void {
    // A cancelled run never starts (cancel() unsubscribes it), so any run
    // that fires while armed is the current one.
    if (this.due === undefined) return;
    this.scheduled = undefined;
    this.due = undefined;
    this.action();
  }
}
