import { requireObject, requireString } from "../atom/validate.js";
import { optionalField, requireSequenceNumber, requireTimestamp, type FieldNamer } from "./fields.js";

/**
 * One reading of a sensor: the value, when the sensor says it was taken
 * (`sourceTimestamp`), when this process received it (`ingestTimestamp`),
 * its place in the source's sequence, and optional quality and status.
 */
export interface SensorSample<T> {
  readonly value: T;
  /** When the reading was taken, ms (the sensor's clock when it has one). */
  readonly sourceTimestamp: number;
  /** When this process received the reading, ms. */
  readonly ingestTimestamp: number;
  /** The source's sequence number, a non-negative integer. */
  readonly sequenceNumber: number;
  /** How trustworthy the reading is, as the source labels it, e.g. `"good"` (the seed's `quality: str | None`). */
  readonly quality?: string;
  /** A short status word from the source, e.g. `"ok"` or `"saturated"`. */
  readonly status?: string;
}

/** What {@link sensorSample} accepts. */
export interface SensorSampleInit<T> {
  value: T;
  sourceTimestamp: number;
  ingestTimestamp: number;
  sequenceNumber: number;
  quality?: string | undefined;
  status?: string | undefined;
}

/** @internal */
export function buildSensorSample<T>(init: unknown, name: FieldNamer): SensorSample<T> {
  const fields = requireObject(name(""), init);
  if (!("value" in fields)) throw new TypeError(`${name("value")} is missing`);
  const value = fields.value as T;
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`${name("value")} must be a finite number, got ${value}`);
  }
  const sample: { -readonly [K in keyof SensorSample<T>]: SensorSample<T>[K] } = {
    value,
    sourceTimestamp: requireTimestamp(name("sourceTimestamp"), fields.sourceTimestamp),
    ingestTimestamp: requireTimestamp(name("ingestTimestamp"), fields.ingestTimestamp),
    sequenceNumber: requireSequenceNumber(name("sequenceNumber"), fields.sequenceNumber),
  };
  const quality = optionalField(fields.quality, () => requireString(name("quality"), fields.quality));
  const status = optionalField(fields.status, () => requireString(name("status"), fields.status));
  if (quality !== undefined) sample.quality = quality;
  if (status !== undefined) sample.status = status;
  return Object.freeze(sample);
}

/**
 * Makes a validated, frozen {@link SensorSample}. Timestamps must be finite numbers,
 * `quality` and `status` strings, `sequenceNumber` a non-negative integer, a numeric
 * `value` finite; a wrong field throws a `TypeError`/`RangeError` naming it.
 *
 * ```ts
 * sensorSample({ value: 21.5, sourceTimestamp: 1_000, ingestTimestamp: 1_002, sequenceNumber: 1 });
 * ```
 * @lego SensorSample
 */
export function sensorSample<T>(init: SensorSampleInit<T>): SensorSample<T> {
  return buildSensorSample(init, (field) => (field === "" ? "sample" : field));
}

/** True when `value` has the shape of a {@link SensorSample}. */
export function isSensorSample(value: unknown): value is SensorSample<unknown> {
  if (typeof value !== "object" || value === null || !("value" in value)) return false;
  const sample = value as Record<string, unknown>;
  return (
    typeof sample.sourceTimestamp === "number" &&
    typeof sample.ingestTimestamp === "number" &&
    typeof sample.sequenceNumber === "number"
  );
}
