import { Observable, type SchedulerLike, type Subscribable } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type LegoObservable } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireBoolean, requireFunction, requireNonEmptyString, requireObject } from "../atom/validate.js";
import { sequenceCounterOrNew, SequenceCounter } from "../local/sequence-counter.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { schedulerOption } from "../time/scheduler.js";
import { toObservable } from "./peripheral.js";
import { buildSensorIdentity, identityInGroup, nested, type SensorIdentity, type SensorIdentityInit } from "./sensor-identity.js";
import { sourceDebugTap, stampSample, type InvalidSourceItem, type SensorReading, type SourceDebugTapOption } from "./sensor-reading.js";
import type { SensorSample } from "./sensor-sample.js";

/** Options of {@link reactiveSensorSource}. */
export interface ReactiveSensorSourceOptions<T = unknown, R = T> {
  /**
   * Turns each source value into the value emitted (a throw errors the
   * stream, as in RxJS `map`). With `wrapSample`, returning
   * `sensorReading(value, sourceTimestamp)` keeps the sensor's own time.
   * @default the value as it is
   */
  map?: (value: T) => R | SensorReading<R>;
  /** Wrap each value in a {@link SensorSample} stamped from the scheduler and numbered from `sequence`. @default false */
  wrapSample?: boolean;
  /** Where sample timestamps come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * Numbers the samples; advanced only after a sample was emitted. Adopts
   * the source's group when it has none.
   * @default a new SequenceCounter per subscription
   */
  sequence?: SequenceCounter;
  /**
   * Who this source is; exposed as the returned Observable's `identity`, in
   * the source's group when it has none.
   * @default sensorIdentity({ group })
   */
  identity?: SensorIdentity | SensorIdentityInit;
  /**
   * Publish each emitted value to a {@link SensorDebugTap} (a tap, or
   * `{ tap, stage?, streamName?, sourceId? }`; stage `"raw"`, stream name
   * the source's `name` else `"ReactiveSensorSource"`, source id
   * `identity.id` else the stream name, group the source's).
   * @default undefined
   */
  debugTap?: SourceDebugTapOption;
  /** Told about each value dropped because it could not become a valid sample. @default undefined */
  onInvalid?: (invalid: InvalidSourceItem) => void;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label for the identity, sequence counter, scheduler and descriptor. @default undefined */
  group?: string;
}

/** A reactive sensor source: its values, its `lego` descriptor, and who it is. */
export type ReactiveSensorSource<V> = LegoObservable<V> & { readonly identity: SensorIdentity };

/**
 * Wraps an existing Observable of readings as a sensor source (the
 * catalog's `ReactiveSensorSource = Observable + Clock + SequenceCounter + RouteRef`):
 * each value goes through `map`, then — with `wrapSample` — into a
 * {@link SensorSample} whose timestamps are `scheduler.now()` at emission
 * (or the reading's own `sourceTimestamp`, see `sensorReading`) and whose
 * `sequenceNumber` is `peek() + step` of the counter, advanced only after
 * the sample was emitted. A value that cannot become a valid sample (e.g.
 * `NaN`) is dropped, counted (`invalid`) and reported to `onInvalid`; the
 * stream goes on. Completion and errors pass through.
 *
 * ```text
 * source:   --a--b--|
 *           reactiveSensorSource(source, { wrapSample: true })
 * result:   --A--B--|     (A: { value: a, sourceTimestamp: 2, ingestTimestamp: 2, sequenceNumber: 1 })
 * ```
 *
 * ## Example
 * ```ts
 * const humidity$ = reactiveSensorSource(bme280.humidity$, {
 *   map: (raw: number) => raw / 1024,
 *   wrapSample: true,
 *   identity: { id: "bme280-0" },
 *   group: "ambient",
 * });
 * ```
 * Counters on `lego`: `received`, `emitted`, `invalid`.
 * @see {@link localSensorSource} to poll a read function; {@link fromPeripheral} for a Heart-style peripheral.
 * @lego ReactiveSensorSource
 */
export function reactiveSensorSource<T, R = T>(
  source: Observable<T> | Subscribable<T>,
  options: ReactiveSensorSourceOptions<T, R> & { wrapSample: true },
): ReactiveSensorSource<SensorSample<R>>;
export function reactiveSensorSource<T, R = T>(
  source: Observable<T> | Subscribable<T>,
  options?: ReactiveSensorSourceOptions<T, R>,
): ReactiveSensorSource<R>;
export function reactiveSensorSource<T, R>(
  source: Observable<T> | Subscribable<T>,
  options: ReactiveSensorSourceOptions<T, R> = {},
): ReactiveSensorSource<unknown> {
  const candidate = source as unknown;
  if (typeof candidate !== "object" || candidate === null || typeof (candidate as { subscribe?: unknown }).subscribe !== "function") {
    throw new TypeError("source must be an Observable or Subscribable");
  }
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const map = optional("map", options.map, (n, v) => requireFunction(n, v as (value: T) => R | SensorReading<R>));
  const wrapSample = optional("wrapSample", options.wrapSample, requireBoolean) ?? false;
  const scheduler = schedulerOption(options.scheduler, group);
  const shared = options.sequence === undefined ? undefined : adoptGroup(sequenceCounterOrNew(options.sequence), group);
  const identity = identityInGroup(buildSensorIdentity(options.identity ?? {}, (f) => nested("identity", f)), group);
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (invalid: InvalidSourceItem) => void));
  const tap = sourceDebugTap<unknown>(options.debugTap, { kind: "ReactiveSensorSource", name, group, sourceId: identity.id });
  const source$ = toObservable(source);
  const meter = legoMeter("ReactiveSensorSource", { name, group }, ["received", "emitted", "invalid"]);

  const sensor = new Observable<unknown>((subscriber) => {
    const sequence = shared ?? adoptGroup(new SequenceCounter(), group);
    subscribeWithin(subscriber, source$, {
      next: (value) => {
        meter.count("received");
        let mapped: unknown;
        try {
          mapped = map === undefined ? value : map(value);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (!wrapSample) {
          subscriber.next(mapped);
          meter.count("emitted");
          return;
        }
        let sample: SensorSample<unknown>;
        try {
          sample = stampSample(mapped, scheduler.now(), sequence.peek() + sequence.step);
        } catch (error) {
          meter.count("invalid");
          onInvalid?.({ reason: "invalid-sample", item: value, error });
          return;
        }
        subscriber.next(sample);
        sequence.next();
        meter.count("emitted");
      },
      error: (error: unknown) => {
        subscriber.error(error);
      },
      complete: () => {
        subscriber.complete();
      },
    });
  });
  const output = tap === undefined ? sensor : sensor.pipe(tap);
  Object.defineProperty(output, "identity", { value: identity, enumerable: true, writable: false });
  return withLego(output, meter.descriptor) as ReactiveSensorSource<unknown>;
}
