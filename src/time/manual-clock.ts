import { Subscription, type SchedulerAction, type SchedulerLike } from "rxjs";
import { optionalGroup, requireFinite, requireNonNegative } from "../atom/validate.js";

/** Options of {@link ManualClock}. */
export interface ManualClockOptions {
  /** Label linking the clock to the component that uses it; adopted from that component when absent. */
  group?: string;
}

type Work<T> = (this: SchedulerAction<T>, state: T) => void;

/** What the clock's queue needs of an action. */
interface QueuedAction {
  due: number;
  order: number;
  execute(): void;
}

/** One piece of scheduled work; rescheduling it moves it (as RxJS's AsyncAction does). */
class ManualAction<T> extends Subscription implements SchedulerAction<T>, QueuedAction {
  due = 0;
  order = 0;
  private state: T | undefined;

  constructor(
    private readonly clock: ManualClock,
    private readonly work: Work<T>,
  ) {
    super(() => {
      clock.cancel(this);
    });
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.clock.enqueue(this, delay);
    return this;
  }

  execute(): void {
    this.work.call(this, this.state as T);
  }
}

/**
 * A virtual-time clock and RxJS scheduler (`ManualClock`): time moves only
 * when `advance(ms)` or `set(ms)` is called, and every action that falls due
 * on the way runs in due-time order (ties in scheduling order), with `now()`
 * reading the action's due time while it runs. Work scheduled with delay 0
 * runs at the next `advance`, including `advance(0)`.
 *
 * Pass it wherever a `scheduler` or `clock` is taken.
 *
 * ## Example
 * ```ts
 * const clock = new ManualClock();
 * timer(100, clock).subscribe(() => console.log("fired at", clock.now()));
 * clock.advance(100); // fired at 100
 * ```
 * @lego ManualClock
 */
export class ManualClock implements SchedulerLike {
  group: string | undefined;
  private current: number;
  private queue: QueuedAction[] = [];
  private scheduled = 0;
  private running = false;

  constructor(start = 0, options: ManualClockOptions = {}) {
    this.current = requireFinite("start", start);
    this.group = optionalGroup(options.group);
  }

  now(): number {
    return this.current;
  }

  schedule<T>(work: Work<T>, delay = 0, state?: T): Subscription {
    return new ManualAction(this, work).schedule(state, delay);
  }

  /** Moves time forward by `ms`, running what falls due; returns the new time. */
  advance(ms: number): number {
    requireNonNegative("ms", ms);
    return this.runUntil(this.current + ms);
  }

  /** Moves time forward to `ms` (never backwards), running what falls due. */
  set(ms: number): number {
    requireFinite("ms", ms);
    if (ms < this.current) throw new RangeError(`ms must not move the clock backwards (now ${this.current}, got ${ms})`);
    return this.runUntil(ms);
  }

  /** How many actions are waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /** @internal */
  enqueue(action: QueuedAction, delay: number): void {
    requireNonNegative("delay", delay);
    this.cancel(action);
    action.due = this.current + delay;
    action.order = this.scheduled++;
    const index = this.queue.findIndex((other) => other.due > action.due);
    if (index === -1) this.queue.push(action);
    else this.queue.splice(index, 0, action);
  }

  /** @internal */
  cancel(action: QueuedAction): void {
    const index = this.queue.indexOf(action);
    if (index !== -1) this.queue.splice(index, 1);
  }

  private runUntil(target: number): number {
    if (this.running) throw new Error("ManualClock cannot be advanced from inside a scheduled action");
    this.running = true;
    try {
      for (let next = this.queue[0]; next !== undefined && next.due <= target; next = this.queue[0]) {
        this.queue.shift();
        this.current = next.due;
        next.execute();
      }
      this.current = target;
    } finally {
      this.running = false;
    }
    return this.current;
  }
}
