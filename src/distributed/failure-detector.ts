import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../atom/validate.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { isClock, type Clock } from "../time/clock.js";
import { schedulerOption } from "../time/scheduler.js";

/** Options of the phi accrual {@link FailureDetector} (the names and defaults of Akka's `PhiAccrualFailureDetector`). */
export interface FailureDetectorOptions {
  /** Phi at and above which the node is suspected. 8 ≈ one false suspicion in 10⁸ if intervals were normal. @default 8 */
  threshold?: number;
  /** How many inter-arrival intervals the window keeps (oldest dropped first). @default 1000 */
  maxSampleSize?: number;
  /** Lower bound of the standard deviation, ms, so a very regular sender is not suspected on the first small delay. @default 100 */
  minStdDeviation?: number;
  /** Extra pause tolerated on top of the mean interval, ms (GC pauses, network hiccups). @default 0 */
  acceptableHeartbeatPause?: number;
  /** Expected interval before any has been measured, ms; the first heartbeat seeds the window with it ± 25 %. @default 1000 */
  firstHeartbeatEstimate?: number;
  /** Where the methods read time when not given `now`. @default systemClock is not used: pass `now` or a clock */
  clock?: Clock;
  /** Label linking the detector to the component that owns it. */
  group?: string;
}

/** Options of the {@link failureDetector} operator. */
export interface FailureDetectorOperatorOptions extends Omit<FailureDetectorOptions, "clock"> {
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

/** What {@link failureDetector} reports. */
export interface FailureDetectorState {
  /** False once phi reached the threshold; true again at the next heartbeat. */
  readonly available: boolean;
  /** Phi when the report was made. */
  readonly phi: number;
  /** When the report was made (ms, scheduler time). */
  readonly at: number;
  /** When the last heartbeat arrived. */
  readonly lastHeartbeat: number;
}

/**
 * Phi of a heartbeat `timeDiff` ms after the previous one, for intervals of
 * `mean` and `stdDeviation`: −log10 of the probability that the next
 * heartbeat comes later still, with the normal distribution's tail
 * approximated by a logistic function (as Akka does). 0.3 at the mean; it
 * grows without bound (to `Infinity`) as `timeDiff` grows, and never
 * decreases.
 */
export function phi(timeDiff: number, mean: number, stdDeviation: number): number {
  const y = (timeDiff - mean) / stdDeviation;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  // Two algebraically equal forms; each is the numerically safe one on its side (max turns −0 into 0).
  return Math.max(0, timeDiff > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e)));
}

/**
 * The catalog's `FailureDetector` as a pure phi accrual machine (Hayashibara
 * et al.; the algorithm and parameters of Akka's `PhiAccrualFailureDetector`):
 * it keeps a window of heartbeat inter-arrival times and turns the time
 * since the last heartbeat into a suspicion level phi. No timers, no RxJS:
 * feed it `heartbeat(now)` and ask `phi(now)` / `isAvailable(now)`.
 *
 * - Before the first heartbeat phi is 0 (nothing known, nothing suspected).
 * - The first heartbeat seeds the window with `firstHeartbeatEstimate`
 *   ± 25 % (mean = the estimate, deviation = a quarter of it).
 * - Later heartbeats add their interval to the window, except one that
 *   arrives while the node is already suspected (a long pause would skew
 *   the statistics).
 * - `phi(now)` = {@link phi}(now − last, mean + acceptableHeartbeatPause,
 *   max(deviation, minStdDeviation)); it is monotonic in the elapsed time.
 *
 * ## Example
 * ```ts
 * const detector = new FailureDetector({ threshold: 8, firstHeartbeatEstimate: 1_000 });
 * detector.heartbeat(0);
 * detector.phi(1_000);        // ≈ 0.3
 * detector.isAvailable(3_000); // false: phi ≈ 15 ≥ 8
 * detector.suspectAt();        // the first time at which phi reaches 8
 * ```
 * @lego FailureDetector
 */
export class FailureDetector {
  readonly threshold: number;
  readonly maxSampleSize: number;
  readonly minStdDeviation: number;
  readonly acceptableHeartbeatPause: number;
  readonly firstHeartbeatEstimate: number;
  group: string | undefined;
  readonly #clock: Clock | undefined;
  readonly #intervals: number[] = [];
  #head = 0;
  #sum = 0;
  #squaredSum = 0;
  #last: number | undefined;

  constructor(options: FailureDetectorOptions = {}) {
    requireObject("options", options);
    this.threshold = optional("threshold", options.threshold, requirePositive) ?? 8;
    this.maxSampleSize = optional("maxSampleSize", options.maxSampleSize, requirePositiveInteger) ?? 1000;
    this.minStdDeviation = optional("minStdDeviation", options.minStdDeviation, requirePositive) ?? 100;
    this.acceptableHeartbeatPause = optional("acceptableHeartbeatPause", options.acceptableHeartbeatPause, requireNonNegative) ?? 0;
    this.firstHeartbeatEstimate = optional("firstHeartbeatEstimate", options.firstHeartbeatEstimate, requirePositive) ?? 1000;
    this.#clock = optional("clock", options.clock, (name, value) => {
      if (!isClock(value)) throw new TypeError(`${name} must be a Clock (with now())`);
      return value;
    });
    this.group = optionalGroup(options.group);
  }

  /** When the last heartbeat arrived, or `undefined` before the first. */
  get lastHeartbeat(): number | undefined {
    return this.#last;
  }

  /** How many intervals the window holds. */
  get sampleSize(): number {
    return this.#intervals.length;
  }

  /** Mean interval of the window, ms (`NaN` before the first heartbeat). */
  get mean(): number {
    return this.#sum / this.#intervals.length;
  }

  /** Standard deviation of the window's intervals, ms (before the `minStdDeviation` floor). */
  get stdDeviation(): number {
    const mean = this.mean;
    return Math.sqrt(Math.max(0, this.#squaredSum / this.#intervals.length - mean * mean));
  }

  /** Records a heartbeat at `now`. */
  heartbeat(now: number = this.#now()): void {
    const last = this.#last;
    if (last === undefined) {
      const deviation = this.firstHeartbeatEstimate / 4;
      this.#add(this.firstHeartbeatEstimate - deviation);
      this.#add(this.firstHeartbeatEstimate + deviation);
    } else if (this.isAvailable(now)) {
      this.#add(now - last);
    }
    this.#last = now;
  }

  /** The suspicion level at `now`: 0 before the first heartbeat, then growing with the time since the last. */
  phi(now: number = this.#now()): number {
    const last = this.#last;
    if (last === undefined) return 0;
    return phi(now - last, this.mean + this.acceptableHeartbeatPause, Math.max(this.stdDeviation, this.minStdDeviation));
  }

  /** Whether the node is trusted at `now` (`phi(now) < threshold`). */
  isAvailable(now: number = this.#now()): boolean {
    return this.phi(now) < this.threshold;
  }

  /**
   * The earliest time at which phi reaches the threshold if no heartbeat
   * comes (so a caller can set one timer instead of polling), or
   * `undefined` before the first heartbeat.
   */
  suspectAt(): number | undefined {
    const last = this.#last;
    if (last === undefined) return undefined;
    const reached = (elapsed: number): boolean => this.phi(last + elapsed) >= this.threshold;
    let low = 0;
    let high = Math.max(1, this.mean + this.acceptableHeartbeatPause);
    while (!reached(high)) {
      low = high;
      high *= 2;
    }
    // Bisection down to adjacent doubles: exact for the phi this class computes.
    for (let i = 0; i < 200; i++) {
      const middle = low + (high - low) / 2;
      if (middle === low || middle === high) break;
      if (reached(middle)) high = middle;
      else low = middle;
    }
    return last + high;
  }

  /** Forgets everything (as before the first heartbeat). */
  reset(): void {
    this.#intervals.length = 0;
    this.#head = 0;
    this.#sum = 0;
    this.#squaredSum = 0;
    this.#last = undefined;
  }

  #add(interval: number): void {
    if (this.#intervals.length < this.maxSampleSize) {
      this.#intervals.push(interval);
    } else {
      const dropped = this.#intervals[this.#head] as number;
      this.#sum -= dropped;
      this.#squaredSum -= dropped * dropped;
      this.#intervals[this.#head] = interval;
      this.#head = (this.#head + 1) % this.maxSampleSize;
    }
    this.#sum += interval;
    this.#squaredSum += interval * interval;
  }

  #now(): number {
    if (this.#clock === undefined) throw new TypeError("now must be given when the detector has no clock");
    return this.#clock.now();
  }
}

/**
 * Watches a heartbeat stream with a phi accrual {@link FailureDetector}:
 * every source value is a heartbeat (its content is ignored). It reports
 * `available: true` at the first heartbeat, `available: false` at the moment
 * phi reaches the threshold (one timer at {@link FailureDetector.suspectAt},
 * not polling), and `available: true` again at the next heartbeat — only
 * changes. Suspicion is a guess, not a verdict: a paused sender is
 * suspected and later trusted again.
 *
 * ```text
 * heartbeats:  a-b-c-d---------------e--|     (every 2; phi 8 reached at 10 + x)
 *              failureDetector({ firstHeartbeatEstimate: 2, minStdDeviation: 0.5 })
 * result:      t-----------s---------t--|     t = available, s = suspected
 * ```
 *
 * ## Example
 * ```ts
 * beats$.pipe(failureDetector({ threshold: 8, acceptableHeartbeatPause: 3_000 }))
 *   .subscribe((s) => (s.available ? trust(node) : suspect(node)));
 * ```
 * Counters on `lego`: `heartbeats`, `suspicions`.
 * @see {@link FailureDetector} the machine, {@link membership} which runs one per member.
 * @lego FailureDetector
 */
export function failureDetector<T>(options: FailureDetectorOperatorOptions = {}): LegoOperator<T, FailureDetectorState> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = options.scheduler === undefined ? asyncScheduler : schedulerOption(options.scheduler, group);
  const { scheduler: _scheduler, name: _name, ...detectorOptions } = options;
  new FailureDetector(detectorOptions); // validates now, not at subscribe
  const meter = legoMeter("FailureDetector", { name, group }, ["heartbeats", "suspicions"]);

  const operator = (source: Observable<T>): Observable<FailureDetectorState> =>
    new Observable<FailureDetectorState>((subscriber) => {
      const detector = new FailureDetector(detectorOptions);
      let available = false;
      let timer: Subscription | undefined;
      subscriber.add(() => timer?.unsubscribe());

      const report = (now: number): void => {
        subscriber.next(Object.freeze({ available, phi: detector.phi(now), at: now, lastHeartbeat: detector.lastHeartbeat as number }));
      };
      const arm = (): void => {
        timer?.unsubscribe();
        const at = detector.suspectAt() as number;
        timer = scheduler.schedule(function check() {
          const now = scheduler.now();
          if (detector.isAvailable(now)) {
            this.schedule(undefined, Math.max(at - now, Number.EPSILON));
            return;
          }
          available = false;
          meter.count("suspicions");
          report(now);
        }, Math.max(0, at - scheduler.now()));
      };

      subscribeWithin(subscriber, source, {
        next: () => {
          const now = scheduler.now();
          meter.count("heartbeats");
          detector.heartbeat(now);
          if (!available) {
            available = true;
            report(now);
          }
          if (!subscriber.closed) arm();
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
