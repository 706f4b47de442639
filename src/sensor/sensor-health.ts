import { Observable, interval, tap, type SchedulerLike, type Subscribable } from "rxjs";
import { messageOf } from "../atom/lego-error.js";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive, requireString } from "../atom/validate.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { watchdog, type WatchdogState } from "../local/watchdog.js";
import { schedulerOption } from "../time/scheduler.js";
import type { HealthState, HealthStatus } from "./health-status.js";

/** Options of {@link sensorHealth}. */
export interface SensorHealthOptions {
  /** Milliseconds without a value after which the sensor is stale (finite, > 0): stale when `now − lastSeen ≥ staleAfter`. */
  staleAfter: number;
  /** Also re-emit the current status every `checkEvery` ms from subscribe (finite, > 0). @default undefined (changes only) */
  checkEvery?: number;
  /**
   * Failures that do not end the sensor (e.g. a source's skipped read
   * errors): each value adds 1 to `errorCount` and reports `error`.
   * @default undefined
   */
  errors?: Observable<unknown> | Subscribable<unknown>;
  /** The message of `stale` statuses. @default "sensor input is stale" */
  staleMessage?: string;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

const DEFAULT_STALE_MESSAGE = "sensor input is stale";

function errorsOption(value: unknown): Observable<unknown> | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Observable) return value as Observable<unknown>;
  if (typeof value !== "object" || value === null || typeof (value as { subscribe?: unknown }).subscribe !== "function") {
    throw new TypeError("errors must be an Observable or a Subscribable");
  }
  const subscribable = value as Subscribable<unknown>;
  return new Observable<unknown>((subscriber) => {
    const subscription = subscribable.subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
    };
  });
}

/**
 * Watches a sensor stream and reports its {@link HealthStatus} — the
 * catalog's `SensorHealthWatchdog` (`Clock + Watchdog + HealthStatus`),
 * built on the generic {@link watchdog}. Values are not forwarded.
 *
 * - on subscribe: `stale` (nothing seen yet), message `staleMessage`;
 * - a value while not `ok`: `ok`, message `""`;
 * - `staleAfter` ms without a value: `stale`;
 * - each value on `errors`: `error` with `errorCount` + 1 and the error's
 *   message (or `String(value)`), and the stream goes on;
 * - a source error: `error` with `errorCount` + 1, then completion;
 * - source completion: completion.
 *
 * Statuses are emitted on changes and, with `checkEvery`, every
 * `checkEvery` ms from subscribe (the current status again, at the new
 * time). `stale` always says whether `now − lastSeen ≥ staleAfter`.
 *
 * ```text
 * source:  ---a-b----------c---|
 *          sensorHealth({ staleAfter: 5 })
 * result:  s--o--------s---o---|      s = stale, o = ok (the s at 10 is 5 ms after b)
 * ```
 *
 * ## Example
 * ```ts
 * samples$.pipe(sensorHealth({ staleAfter: 2_000, checkEvery: 10_000, errors: source.errors$, group: "ambient" }))
 *   .subscribe((health) => dashboard.show(health));
 * ```
 * Counters on `lego`: `reports`, `stale` (transitions to stale), `errors`.
 * @see {@link watchdog} the generic liveness lego underneath.
 * @lego SensorHealthWatchdog
 */
export function sensorHealth(options: SensorHealthOptions): LegoOperator<unknown, HealthStatus> {
  requireObject("options", options);
  const staleAfter = requirePositive("staleAfter", options.staleAfter);
  const checkEvery = optional("checkEvery", options.checkEvery, requirePositive);
  const errors$ = errorsOption(options.errors);
  const staleMessage = requireString("staleMessage", options.staleMessage ?? DEFAULT_STALE_MESSAGE);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("SensorHealthWatchdog", { name, group }, ["reports", "stale", "errors"]);

  const operator = (source: Observable<unknown>): Observable<HealthStatus> =>
    new Observable<HealthStatus>((subscriber) => {
      let status: HealthState | undefined;
      let message = "";
      let errorCount = 0;
      let lastSeen: number | undefined;
      let alive = false;

      const isStale = (now: number): boolean => lastSeen === undefined || now - lastSeen >= staleAfter;

      const report = (next: HealthState, nextMessage: string): void => {
        if (next === "stale" && status !== "stale") meter.count("stale");
        status = next;
        message = nextMessage;
        const now = scheduler.now();
        meter.count("reports");
        subscriber.next(Object.freeze({ status, observedAt: now, message, stale: isStale(now), errorCount }));
      };

      const fail = (error: unknown): void => {
        errorCount++;
        meter.count("errors");
        report("error", messageOf(error));
      };

      const onWatchdog = (state: WatchdogState): void => {
        alive = state.alive;
        if (state.alive) {
          if (status !== "ok") report("ok", "");
        } else if (status !== "stale") {
          // The first state is the stale report on subscribe; later ones are expiries.
          report("stale", staleMessage);
        }
      };

      const seen = (): void => {
        lastSeen = scheduler.now();
        // An error while the watchdog stays alive ends with the next value; otherwise the watchdog reports ok.
        if (alive && status === "error") report("ok", "");
      };

      subscribeWithin(subscriber, source.pipe(tap(seen), watchdog({ timeout: staleAfter, scheduler })), {
        next: onWatchdog,
        error: (error: unknown) => {
          fail(error);
          subscriber.complete();
        },
        complete: () => {
          subscriber.complete();
        },
      });
      if (subscriber.closed) return;

      if (errors$ !== undefined) {
        subscribeWithin(subscriber, errors$, {
          next: fail,
          error: (error: unknown) => {
            fail(error);
            subscriber.complete();
          },
        });
      }

      if (checkEvery !== undefined) {
        subscribeWithin(subscriber, interval(checkEvery, scheduler), {
          next: () => {
            // A check that finds an ok sensor past its limit reports it stale (the watchdog's own expiry may be due at the same instant).
            if (status === "ok" && isStale(scheduler.now())) report("stale", staleMessage);
            else report(status ?? "stale", message);
          },
        });
      }
    });

  return withLego(operator, meter.descriptor);
}
