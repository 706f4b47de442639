import { Observable, type SchedulerLike, type Subscription } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { isClock, systemClock, type Clock } from "../../time/clock.js";
import { schedulerOption } from "../../time/scheduler.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";

/** Which item a period keeps: the first of the period (at once) or the latest (at the period's end). */
export type SamplePick = "first" | "latest";

/** Options of the {@link Sampler} machine: exactly one of `every`, `period`, `probability`. */
export interface SamplerOptions {
  /** Keep every n-th item, starting with the first (items 0, n, 2n, …), a positive integer. */
  every?: number;
  /** Keep at most one item per `period` ms. */
  period?: number;
  /** With `period`: keep the first item of a period (at once) or the latest (at its end). @default "first" */
  pick?: SamplePick;
  /** Keep each item with this probability, in (0, 1]. */
  probability?: number;
  /** Randomness for `probability`, in [0, 1). @default Math.random */
  random?: () => number;
  /** Where time comes from for `period`. @default systemClock */
  clock?: Clock;
  /** Group label. @default undefined */
  group?: string;
}

type Mode = "every" | "period" | "probability";

/**
 * The catalog's `Sampler` as a pure machine: `accepts()` says whether to
 * keep the next item — every n-th (the first, then each n-th after), at
 * most one per `period` ms (the first of each period, read from the
 * clock), or each with a probability drawn from an injectable `random`.
 * The `latest` pick needs a timer and lives in the {@link sampler} operator.
 *
 * ## Example
 * ```ts
 * const s = new Sampler({ every: 3 });
 * [1, 2, 3, 4, 5, 6, 7].filter(() => s.accepts()); // [1, 4, 7]
 * ```
 * @lego Sampler
 */
export class Sampler {
  readonly mode: Mode;
  readonly every: number;
  readonly period: number;
  readonly pick: SamplePick;
  readonly probability: number;
  readonly random: () => number;
  readonly clock: Clock;
  group: string | undefined;
  private seen = 0;
  private lastKept = -Infinity;

  constructor(options: SamplerOptions) {
    requireObject("options", options);
    const given = [options.every, options.period, options.probability].filter((v) => v !== undefined).length;
    if (given !== 1) throw new TypeError("give exactly one of every, period or probability");
    this.every = optional("every", options.every, requirePositiveInteger) ?? 1;
    this.period = optional("period", options.period, requirePositive) ?? 0;
    this.pick = optional("pick", options.pick, (n, v) => requireOneOf(n, v, ["first", "latest"] as const)) ?? "first";
    const probability = optional("probability", options.probability, requirePositive);
    if (probability !== undefined && probability > 1) throw new RangeError(`probability must be in (0, 1], got ${probability}`);
    this.probability = probability ?? 1;
    this.random = optional("random", options.random, (n, v) => requireFunction(n, v as () => number)) ?? Math.random;
    if (options.clock !== undefined && !isClock(options.clock)) throw new TypeError("clock must be a Clock (with now())");
    this.clock = options.clock ?? systemClock;
    this.group = optionalGroup(options.group);
    this.mode = options.every !== undefined ? "every" : options.period !== undefined ? "period" : "probability";
  }

  /** Whether to keep the next item (for `period`, the first pick). */
  accepts(): boolean {
    if (this.mode === "every") {
      const keep = this.seen % this.every === 0;
      this.seen = keep ? 1 : this.seen + 1;
      return keep;
    }
    if (this.mode === "period") {
      const now = this.clock.now();
      if (now - this.lastKept < this.period) return false;
      this.lastKept = now;
      return true;
    }
    return this.random() < this.probability;
  }

  /** Starts over (the next item is kept again). */
  reset(): void {
    this.seen = 0;
    this.lastKept = -Infinity;
  }
}

/** Options of {@link sampler}. */
export interface SamplerOperatorOptions extends Omit<SamplerOptions, "clock"> {
  /** Where time is read and `latest` periods end. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.sampler` when a group is given */
  name?: string;
}

/**
 * Keeps some items of a stream (the catalog's `Sampler`): every n-th, at
 * most one per `period` ms — the first of each period at once (like
 * `throttleTime`), or the latest at the period's end (like `auditTime`; a
 * period opens with the first item after a quiet spell) — or each with a
 * probability. Items not kept count as `dropped`. With `latest`, a pending
 * item is emitted before completion.
 *
 * ```text
 * source:  abcdefg|
 *          sampler({ every: 3 })
 * result:  a--d--g|
 *
 * source:  ab-c---d|
 *          sampler({ period: 3, pick: "latest" })
 * result:  ---c----(d|)
 * ```
 *
 * ## Example
 * ```ts
 * telemetry$.pipe(sampler({ period: 1000, pick: "latest", group: "uplink" })); // ≤ 1 per second, freshest
 * ```
 * Counters on `lego`: `kept`, `dropped`.
 * @see {@link Sampler} the machine; `rateMatch` (demand-driven, latest).
 * @lego Sampler
 */
export function sampler<T>(options: SamplerOperatorOptions): MonoLegoOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const scheduler = schedulerOption(options.scheduler, group);
  const machineOptions: SamplerOptions = { clock: scheduler };
  if (options.every !== undefined) machineOptions.every = options.every;
  if (options.period !== undefined) machineOptions.period = options.period;
  if (options.pick !== undefined) machineOptions.pick = options.pick;
  if (options.probability !== undefined) machineOptions.probability = options.probability;
  if (options.random !== undefined) machineOptions.random = options.random;
  if (group !== undefined) machineOptions.group = group;
  const probe = new Sampler(machineOptions); // validates now
  const latest = probe.mode === "period" && probe.pick === "latest";
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "sampler");
  const meter = legoMeter("Sampler", { name, group }, ["kept", "dropped"]);
  const counters = hotCounters(meter, ["kept", "dropped"] as const);

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      if (!latest) {
        const machine = new Sampler(machineOptions);
        subscribeWithin(subscriber, source, {
          next: (value) => {
            if (machine.accepts()) {
              counters.kept++;
              subscriber.next(value);
            } else counters.dropped++;
          },
          error: (error: unknown) => {
            subscriber.error(error);
          },
          complete: () => {
            subscriber.complete();
          },
        });
        return;
      }
      let pending: T | undefined;
      let hasPending = false;
      let timer: Subscription | undefined;
      const emit = (): void => {
        timer = undefined;
        if (!hasPending) return;
        const value = pending as T;
        pending = undefined;
        hasPending = false;
        counters.kept++;
        subscriber.next(value);
      };
      subscribeWithin(subscriber, source, {
        next: (value) => {
          if (hasPending) counters.dropped++;
          pending = value;
          hasPending = true;
          timer ??= scheduler.schedule(emit, probe.period);
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          timer?.unsubscribe();
          emit();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
      };
    });
  return withLego(operator, meter.descriptor);
}
