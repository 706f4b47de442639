import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive } from "../atom/validate.js";
import { isClock, systemClock, type Clock } from "../time/clock.js";
import { schedulerOption } from "../time/scheduler.js";
import { subscribeWithin } from "./subscribe-within.js";

/**
 * What a watchdog reports: whether the watched stream is alive, when it last
 * produced a value (absent before the first) and when the current state
 * began.
 */
export interface WatchdogState {
  readonly alive: boolean;
  readonly lastSeen?: number;
  readonly since: number;
}

/** Options of the pure {@link Watchdog} state machine. */
export interface WatchdogMachineOptions {
  /** Milliseconds without a value after which the stream is not alive: stale when `now − lastSeen ≥ timeout`. */
  timeout: number;
  /** Where `seen()`/`check()` read time when not given `now`. @default systemClock */
  clock?: Clock;
  /** Label linking the watchdog to the component that owns it. */
  group?: string;
}

/** Options of the {@link watchdog} operator. */
export interface WatchdogOptions {
  /** Milliseconds without a value after which the stream is reported not alive (finite, > 0). */
  timeout: number;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

function state(alive: boolean, since: number, lastSeen: number | undefined): WatchdogState {
  return Object.freeze(lastSeen === undefined ? { alive, since } : { alive, lastSeen, since });
}

/**
 * The catalog's `Watchdog` as a pure state machine (no RxJS, no timers):
 * feed it `seen(now)` for every value and `check(now)` when its
 * {@link Watchdog.deadline} passes; each returns the new state when the state
 * changed, else `undefined`.
 *
 * A new watchdog is not alive, `since` its creation. A value makes it alive
 * (`since` = that value's time); it stays alive while values keep coming less
 * than `timeout` ms apart, and is not alive again from `lastSeen + timeout`.
 *
 * ## Example
 * ```ts
 * const dog = new Watchdog({ timeout: 100 }, 0);
 * dog.seen(10);  // { alive: true, lastSeen: 10, since: 10 }
 * dog.seen(50);  // undefined (still alive)
 * dog.check(149); // undefined
 * dog.check(150); // { alive: false, lastSeen: 50, since: 150 }
 * ```
 * @lego Watchdog
 */
export class Watchdog {
  readonly timeout: number;
  group: string | undefined;
  private readonly clock: Clock;
  private current: WatchdogState;
  private lastSeen: number | undefined;
  private alive = false;

  constructor(options: WatchdogMachineOptions, now?: number) {
    requireObject("options", options);
    this.timeout = requirePositive("timeout", options.timeout);
    this.clock = optional("clock", options.clock, (name, value) => {
      if (!isClock(value)) throw new TypeError(`${name} must be a Clock (with now())`);
      return value;
    }) ?? systemClock;
    this.group = optionalGroup(options.group);
    this.current = state(false, now ?? this.clock.now(), undefined);
  }

  /** The current state. */
  get state(): WatchdogState {
    return this.current;
  }

  /** When the alive state expires (`lastSeen + timeout`), or `undefined` while not alive. */
  get deadline(): number | undefined {
    return this.alive && this.lastSeen !== undefined ? this.lastSeen + this.timeout : undefined;
  }

  /** Starts over: not alive, nothing seen, `since` = `now`. Returns that state. */
  reset(now: number = this.clock.now()): WatchdogState {
    this.alive = false;
    this.lastSeen = undefined;
    this.current = state(false, now, undefined);
    return this.current;
  }

  /**
   * Records a value at `now`. Returns the new state when this makes the
   * watchdog alive: it was not alive, or its deadline had passed unchecked
   * (call `check(now)` first to see that expiry reported).
   */
  seen(now: number = this.clock.now()): WatchdogState | undefined {
    const wasAlive = this.alive && this.lastSeen !== undefined && now - this.lastSeen < this.timeout;
    this.lastSeen = now;
    if (wasAlive) return undefined;
    this.alive = true;
    this.current = state(true, now, now);
    return this.current;
  }

  /** Returns the not-alive state when `timeout` ms have passed since the last value at `now`. */
  check(now: number = this.clock.now()): WatchdogState | undefined {
    const deadline = this.deadline;
    if (deadline === undefined || now < deadline) return undefined;
    this.alive = false;
    this.current = state(false, deadline, this.lastSeen);
    return this.current;
  }
}

/**
 * Reports whether the source is alive (the generic `Watchdog` lego; Sensor IO's
 * `sensorHealth` is built on it).
 *
 * It emits `{ alive: false, since }` on subscribe, `{ alive: true, … }` when a
 * value arrives while not alive, and `{ alive: false, … }` when `timeout` ms
 * pass without a value — only changes, never the same state twice in a row.
 * `since` is when the current state began. The source's values are not
 * forwarded. Source completion completes the output; a source error goes
 * downstream. One timer per alive period (not per value) keeps it cheap.
 *
 * ```text
 * source:   ---a-b-------c--|
 *           watchdog({ timeout: 5 })
 * result:   f--t------f--t--|
 *   f = { alive: false, … }, t = { alive: true, … }; the f at 10 has since 10
 * ```
 *
 * ## Example
 * ```ts
 * readings$.pipe(watchdog({ timeout: 2_000, group: "ambient" }))
 *   .subscribe(({ alive }) => led.set(alive));
 * ```
 * Counters on `lego`: `timeouts` (alive → not alive transitions).
 * @see {@link Watchdog} the state machine it runs per subscription.
 * @lego Watchdog
 */
export function watchdog<T>(options: WatchdogOptions): LegoOperator<T, WatchdogState> {
  requireObject("options", options);
  const timeout = requirePositive("timeout", options.timeout);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("Watchdog", { name, group }, ["timeouts"]);

  const operator = (source: Observable<T>): Observable<WatchdogState> =>
    new Observable<WatchdogState>((subscriber) => {
      const dog = new Watchdog({ timeout, clock: scheduler }, scheduler.now());
      let timer: Subscription | undefined;

      function report(expired: WatchdogState | undefined): boolean {
        if (expired === undefined) return false;
        meter.count("timeouts");
        subscriber.next(expired);
        return true;
      }

      // One action per alive period: when it fires after later values, it
      // re-arms itself for the new deadline instead of a timer per value.
      function expire(this: SchedulerAction<undefined>): void {
        const now = scheduler.now();
        if (report(dog.check(now))) return;
        const deadline = dog.deadline;
        if (deadline !== undefined) this.schedule(undefined, deadline - now);
      }

      subscriber.next(dog.state);
      if (subscriber.closed) return;
      subscriber.add(() => timer?.unsubscribe());
      subscribeWithin(subscriber, source, {
        next: () => {
          const now = scheduler.now();
          // A value exactly at the deadline (or before a late timer) first
          // reports the expiry it ends, so states still alternate.
          const deadline = dog.deadline;
          if (deadline !== undefined && now >= deadline) report(dog.check(now));
          const change = dog.seen(now);
          if (change === undefined) return;
          subscriber.next(change);
          timer?.unsubscribe();
          timer = scheduler.schedule(expire, timeout);
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
