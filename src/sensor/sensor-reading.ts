import { requireFinite } from "../atom/validate.js";
import { sensorSample, type SensorSample } from "./sensor-sample.js";

/**
 * A value together with the time the sensor says it was taken. A read
 * function returns one (via {@link sensorReading}) when the device reports
 * its own timestamp; otherwise a source stamps both timestamps itself.
 *
 * A class rather than a plain `{ value, sourceTimestamp }` so a sensor whose
 * values happen to have those keys is never mistaken for one.
 */
export class SensorReading<T> {
  readonly value: T;
  /** When the sensor took the reading, ms (finite). */
  readonly sourceTimestamp: number;

  constructor(value: T, sourceTimestamp: number) {
    this.value = value;
    this.sourceTimestamp = requireFinite("sourceTimestamp", sourceTimestamp) + 0;
    Object.freeze(this);
  }
}

/**
 * Marks `value` as taken at `sourceTimestamp` (ms, the sensor's clock), so
 * the sample built from it keeps that time as `sourceTimestamp` while
 * `ingestTimestamp` is still the source's `scheduler.now()`.
 *
 * ## Example
 * ```ts
 * localSensorSource(() => {
 *   const frame = device.latest();
 *   return sensorReading(frame.celsius, frame.takenAt);
 * }, { every: 1_000 });
 * ```
 * @see {@link localSensorSource}
 * @lego SensorSample
 */
export function sensorReading<T>(value: T, sourceTimestamp: number): SensorReading<T> {
  return new SensorReading(value, sourceTimestamp);
}

/** True when `value` was made by {@link sensorReading}. */
export function isSensorReading(value: unknown): value is SensorReading<unknown> {
  return value instanceof SensorReading;
}

/** Why a source dropped an item instead of emitting it. */
export type InvalidSourceItemReason = "invalid-sample" | "invalid-event" | "invalid-identity";

/**
 * What a source reports through `onInvalid` when an item cannot become a
 * valid sample or event (e.g. a `NaN` value, or an envelope whose peripheral
 * info is malformed). The item is dropped, counted as `invalid` on the
 * source's `lego` counters, and consumes no sequence number.
 */
export interface InvalidSourceItem {
  readonly reason: InvalidSourceItemReason;
  /** The offending item as the source received it (or as `read` returned it). */
  readonly item: unknown;
  /** The validation error, naming the bad field. */
  readonly error: unknown;
}

/** Quality and status copied into every sample a source builds. */
export interface SampleExtras {
  quality?: number | undefined;
  status?: string | undefined;
}

/**
 * The sample for `value` (a plain value or a {@link SensorReading}) emitted
 * at `now` with `sequenceNumber`. Throws the sample constructor's error when
 * the value is not valid sample data.
 * @internal shared by the sensor sources; not part of the package surface.
 */
export function stampSample<T>(
  value: T | SensorReading<T>,
  now: number,
  sequenceNumber: number,
  extras: SampleExtras = {},
): SensorSample<T> {
  const reading = value instanceof SensorReading;
  return sensorSample<T>({
    value: reading ? value.value : value,
    sourceTimestamp: reading ? value.sourceTimestamp : now,
    ingestTimestamp: now,
    sequenceNumber,
    quality: extras.quality,
    status: extras.status,
  });
}
