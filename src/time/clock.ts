/**
 * The catalog's `Clock`: anything with `now()` in milliseconds. Every RxJS
 * `SchedulerLike` is a Clock, so operators read time from their scheduler.
 */
export interface Clock {
  now(): number;
}

/** The wall clock (`SystemClock`): milliseconds since the Unix epoch. */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
});

/** True when `value` has a callable `now()`. */
export function isClock(value: unknown): value is Clock {
  return typeof value === "object" && value !== null && typeof (value as { now?: unknown }).now === "function";
}
