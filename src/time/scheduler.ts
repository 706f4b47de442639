import { asyncScheduler, type SchedulerLike } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { ManualClock } from "./manual-clock.js";

/** True when `value` looks like an RxJS scheduler (`now()` and `schedule()`). */
export function isScheduler(value: unknown): value is SchedulerLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { now?: unknown }).now === "function" &&
    typeof (value as { schedule?: unknown }).schedule === "function"
  );
}

/**
 * The `scheduler` option every time-based lego takes: `asyncScheduler` when
 * absent, a `TypeError` naming the option when it is not a scheduler. A
 * {@link ManualClock} without a group adopts the component's `group`
 * (DESIGN.md §1.6).
 */
export function schedulerOption(value: unknown, group: string | undefined, name = "scheduler"): SchedulerLike {
  if (value === undefined) return asyncScheduler;
  if (!isScheduler(value)) throw new TypeError(`${name} must be a SchedulerLike (with now() and schedule())`);
  if (value instanceof ManualClock) adoptGroup(value, group);
  return value;
}
