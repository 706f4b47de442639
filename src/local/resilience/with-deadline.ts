import { Observable, type SchedulerLike } from "rxjs";
import { Deadline, isDeadline } from "../../atom/deadline.js";
import { legoMeter, withLego, type LegoOperator, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requireOneOf,
} from "../../atom/validate.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";

/** A value carrying the {@link Deadline} by which it must be processed. */
export interface Deadlined<T> {
  readonly value: T;
  readonly deadline: Deadline;
}

/** Options of {@link stampDeadline}. */
export interface StampDeadlineOptions {
  /** Budget of each value from the moment it passes, ms (finite, ≥ 0). */
  ms: number;
  /** Where time comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** What {@link withDeadline} does with an expired value. */
export type ExpiredAction = "drop" | "error";

/** What `onExpired` learns about an expired value. */
export interface ExpiredValue<T> {
  readonly value: T;
  readonly deadline: Deadline;
  /** When it was found expired. */
  readonly now: number;
}

/** Options of {@link withDeadline} and {@link dropExpired}. */
export interface WithDeadlineOptions<T> {
  /** The deadline of a value; `undefined` (or a non-Deadline) means none and the value passes. @default (v) => v.deadline */
  deadlineOf?: (value: T) => Deadline | undefined;
  /** `drop` skips an expired value (counted, reported); `error` errors the stream with `DEADLINE_EXCEEDED`. @default "drop" */
  expired?: ExpiredAction;
  /** Told about every expired value, before it is dropped (or the stream errors). @default undefined */
  onExpired?: (expired: ExpiredValue<T>) => void;
  /** Where time comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label, carried by `DEADLINE_EXCEEDED` errors. @default undefined */
  group?: string;
}

/**
 * Stamps each value with a {@link Deadline} `ms` from the moment it passes
 * (`{ value, deadline }`), so a later stage can drop it once too late —
 * the budget travels with the value instead of restarting at every hop.
 *
 * ```text
 * source:  -a---b|
 *          stampDeadline(3)
 * result:  -A---B|     A = { value: a, deadline: Deadline.at(4) }, B = { value: b, deadline: Deadline.at(8) }
 * ```
 *
 * ## Example
 * ```ts
 * requests$.pipe(stampDeadline(250), bulkheadOrQueue, withDeadline({ onExpired: ({ value }) => reply504(value) }));
 * ```
 * Counters on `lego`: `stamped`.
 * @see {@link withDeadline}
 * @lego Deadline
 */
export function stampDeadline<T>(options: number | StampDeadlineOptions): LegoOperator<T, Deadlined<T>> {
  const opts: StampDeadlineOptions = typeof options === "number" ? { ms: options } : (requireObject("options", options) as unknown as StampDeadlineOptions);
  const ms = requireNonNegative("ms", opts.ms);
  const group = optionalGroup(opts.group);
  const name = optional("name", opts.name, requireNonEmptyString);
  const scheduler = schedulerOption(opts.scheduler, group);
  const meter = legoMeter("Deadline", { name, group }, ["stamped"]);
  const counters = hotCounters(meter, ["stamped"] as const);
  const operator = (source: Observable<T>): Observable<Deadlined<T>> =>
    new Observable<Deadlined<T>>((subscriber) => {
      subscribeWithin(subscriber, source, {
        next: (value) => {
          counters.stamped++;
          subscriber.next(Object.freeze({ value, deadline: Deadline.at(scheduler.now() + ms) }));
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}

function defaultDeadlineOf(value: unknown): Deadline | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const d = (value as { deadline?: unknown }).deadline;
  return isDeadline(d) ? d : undefined;
}

/**
 * Checks each value's deadline when it arrives: a value whose deadline has
 * passed (`now ≥ deadline.at`) is not processed further — it is counted
 * (`expired`), reported to `onExpired`, and dropped, or with
 * `expired: "error"` the stream errors with a `DEADLINE_EXCEEDED`
 * `LegoError`. Values in time, and values without a deadline, pass
 * unchanged (still wrapped, so a later stage can check again).
 *
 * ```text
 * source:  -A--B--C|     deadlines: A at 5, B at 2, C none
 *          withDeadline()
 * result:  -A-----C|     B is expired at 3: dropped, onExpired({ value: B, … })
 * ```
 *
 * ## Example
 * ```ts
 * jobs$.pipe(stampDeadline(1_000), concatMap(slowStep), withDeadline({ onExpired: ({ value }) => log.warn("late", value) }));
 * ```
 * Counters on `lego`: `passed`, `expired`.
 * @see {@link stampDeadline}, {@link dropExpired}, {@link Deadline}
 * @lego Deadline
 */
export function withDeadline<T>(options: WithDeadlineOptions<T> = {}): MonoLegoOperator<T> {
  requireObject("options", options);
  const deadlineOf = optional("deadlineOf", options.deadlineOf, (n, v) => requireFunction(n, v as (value: T) => Deadline | undefined));
  const expired = optional("expired", options.expired, (n, v) => requireOneOf(n, v, ["drop", "error"] as const)) ?? "drop";
  const onExpired = optional("onExpired", options.onExpired, (n, v) => requireFunction(n, v as (e: ExpiredValue<T>) => void));
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("Deadline", { name, group }, ["passed", "expired"]);
  const counters = hotCounters(meter, ["passed", "expired"] as const);
  // `read` returns a Deadline or undefined, so the hot path checks no type.
  const read: (value: T) => Deadline | undefined =
    deadlineOf === undefined
      ? defaultDeadlineOf
      : (value) => {
          const d = deadlineOf(value);
          return isDeadline(d) ? d : undefined;
        };

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      subscribeWithin(subscriber, source, {
        next: (value) => {
          const d = read(value);
          if (d === undefined) {
            counters.passed++;
            subscriber.next(value);
            return;
          }
          const now = scheduler.now();
          if (now < d.at) {
            counters.passed++;
            subscriber.next(value);
            return;
          }
          counters.expired++;
          onExpired?.({ value, deadline: d, now });
          if (expired === "error") {
            subscriber.error(
              new LegoError("DEADLINE_EXCEEDED", `deadline ${d.at} passed (now ${now})`, { group }),
            );
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}

/**
 * {@link withDeadline} that always drops: expired values are counted,
 * reported to `onExpired` and skipped; the stream goes on.
 * @lego Deadline
 */
export function dropExpired<T>(options: Omit<WithDeadlineOptions<T>, "expired"> = {}): MonoLegoOperator<T> {
  requireObject("options", options);
  return withDeadline<T>({ ...options, expired: "drop" });
}
