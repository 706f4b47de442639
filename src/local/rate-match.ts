import { interval, isObservable, Observable, type SchedulerLike } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositive,
  requirePositiveInteger,
} from "../atom/validate.js";
import { schedulerOption } from "../time/scheduler.js";
import { BoundedRingBuffer, type BoundedRingBufferOptions } from "./bounded-ring-buffer.js";
import { hotCounters } from "./hot-counters.js";
import { subscribeWithin } from "./subscribe-within.js";

/** How {@link rateMatch} buffers between a fast source and its demand. */
export type RateMatchMode = "latest" | "fifo";

const MODES: readonly RateMatchMode[] = ["latest", "fifo"];

/** Options of {@link rateMatch}. */
export interface RateMatchOptions {
  /**
   * When to release a value: each emission of this Observable releases one
   * buffered value, if any; a number is a period in ms (an `interval` on the
   * scheduler, first pulse one period after subscribe).
   */
  demand: Observable<unknown> | number;
  /** `latest` keeps only the newest value; `fifo` keeps up to `capacity`, dropping the oldest. @default "latest" */
  mode?: RateMatchMode;
  /** Buffer size in `fifo` mode, a positive integer (`latest` always holds one). @default 1 */
  capacity?: number;
  /** Where a numeric `demand` ticks. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.rate_matched_sensor` when a group is given */
  name?: string;
  /** Group label, given to the ring buffer and a `ManualClock` scheduler that have none. @default undefined */
  group?: string;
}

function demandOption(value: unknown, scheduler: SchedulerLike): Observable<unknown> {
  if (isObservable(value)) return value;
  if (typeof value !== "number") throw new TypeError("demand must be an Observable or a period in ms");
  return interval(requirePositive("demand", value), scheduler);
}

/**
 * Matches a fast source to the pace of a consumer (the `RateMatchedSensor`
 * lego, a capacitor): source values wait in a `BoundedRingBuffer`, and each
 * emission of `demand` releases one of them, if any. `latest` keeps only the
 * newest value (capacity 1, overflow `latest`); `fifo` keeps up to
 * `capacity` with `drop_oldest`. Every value the buffer loses counts as
 * `dropped`.
 *
 * Completion: when the source completes, what is still buffered keeps
 * draining on demand and the output completes once the buffer is empty (at
 * once if it already is) — a consumer gets every value the buffer held; if
 * `demand` has already completed, it completes at once and the rest counts
 * as `dropped`. When `demand` completes while the source is live, nothing
 * can be released any more, but — as with RxJS's `sample` — the output keeps
 * the source subscribed (upstream side effects such as a spool's `record()`
 * go on), drops (and counts) what was and what still comes, and completes
 * when the source completes; an empty `demand` therefore completes with the
 * source, not at once. An error from either side goes downstream at once.
 *
 * ```text
 * source:  -1-2-3|
 * demand:  -------x-x-x
 *          rateMatch({ mode: "fifo", capacity: 2, demand })
 * result:  -------2-(3|)
 * ```
 *
 * ## Example
 * ```ts
 * // a 1 kHz sensor read by a 10 Hz display, always the freshest value
 * samples$.pipe(rateMatch({ demand: 100, group: "ambient" }));
 * // .lego → { kind: "RateMatchedSensor", name: "ambient.rate_matched_sensor", group: "ambient" }
 * ```
 * Counters on `lego`: `dropped`, `released`.
 * @see {@link BoundedRingBuffer} which holds the values.
 * @lego RateMatchedSensor
 */
export function rateMatch<T>(options: RateMatchOptions): MonoLegoOperator<T> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const mode = optional("mode", options.mode, (n, v) => requireOneOf(n, v, MODES)) ?? "latest";
  const capacity = optional("capacity", options.capacity, requirePositiveInteger) ?? 1;
  const scheduler = schedulerOption(options.scheduler, group);
  const demand = demandOption(options.demand, scheduler);
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "rate_matched_sensor");
  const meter = legoMeter("RateMatchedSensor", { name, group }, ["dropped", "released"]);
  const counters = hotCounters(meter, ["dropped", "released"] as const);
  const bufferOptions: BoundedRingBufferOptions =
    mode === "latest" ? { capacity: 1, overflow: "latest" } : { capacity, overflow: "drop_oldest" };
  if (group !== undefined) bufferOptions.group = group;

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const buffer = new BoundedRingBuffer<T>(bufferOptions);
      let sourceDone = false;
      let demandDone = false;

      subscribeWithin(subscriber, source, {
        next: (value) => {
          if (demandDone) {
            counters.dropped++;
            return;
          }
          const before = buffer.dropped;
          buffer.push(value);
          if (buffer.dropped !== before) counters.dropped += buffer.dropped - before;
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          if (buffer.size === 0 || demandDone) subscriber.complete();
        },
      });
      if (subscriber.closed) return;

      subscribeWithin(subscriber, demand, {
        next: () => {
          if (buffer.size === 0) return;
          counters.released++;
          subscriber.next(buffer.pop() as T);
          if (sourceDone && buffer.size === 0) subscriber.complete();
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          demandDone = true;
          counters.dropped += buffer.size;
          buffer.clear();
          if (sourceDone) subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}
