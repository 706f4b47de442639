import type { MonoTypeOperatorFunction } from "rxjs";
import { optional, optionalGroup, requireFinite, requireNonEmptyString, requireObject, requireOneOf, requireString } from "../atom/validate.js";
import { DEBUG_STAGES, debugTap, SensorDebugTap, type DebugStage } from "./sensor-debug-tap.js";
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
  quality?: string | undefined;
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

/**
 * The `debugTap` option of the sensor sources: a tap, or a tap with the
 * envelope fields to use. Each emitted value is published to the tap
 * (through the {@link debugTap} operator) as the source emits it.
 */
export type SourceDebugTapOption =
  | SensorDebugTap
  | {
      tap: SensorDebugTap;
      /** @default "raw" */
      stage?: DebugStage;
      /** @default the source's `name`, else its lego kind */
      streamName?: string;
      /** @default the source's identity id, else the stream name */
      sourceId?: string;
      /** @default [] */
      upstreamIds?: readonly string[];
      /** @default the source's group, else the tap's */
      group?: string;
    };

/** What a source knows to fill in a debug tap's defaults. */
export interface SourceDebugTapDefaults {
  readonly kind: string;
  readonly name: string | undefined;
  readonly group: string | undefined;
  readonly sourceId: string | undefined;
}

/**
 * The operator publishing a source's values to its `debugTap` option, or
 * `undefined` without one; validates the option now.
 * @internal shared by the sensor sources; not part of the package surface.
 */
export function sourceDebugTap<T>(option: SourceDebugTapOption | undefined, defaults: SourceDebugTapDefaults): MonoTypeOperatorFunction<T> | undefined {
  if (option === undefined) return undefined;
  const fields = option instanceof SensorDebugTap ? { tap: option } : requireObject("debugTap", option);
  if (!(fields.tap instanceof SensorDebugTap)) throw new TypeError("debugTap.tap must be a SensorDebugTap");
  const streamName = optional("debugTap.streamName", fields.streamName, requireNonEmptyString) ?? defaults.name ?? defaults.kind;
  const group = optionalGroup(fields.group, "debugTap.group") ?? defaults.group;
  const upstreamIds = fields.upstreamIds as readonly string[] | undefined;
  return debugTap<T>(fields.tap, {
    stage: requireOneOf("debugTap.stage", fields.stage ?? "raw", DEBUG_STAGES),
    streamName,
    sourceId: optional("debugTap.sourceId", fields.sourceId, requireString) ?? defaults.sourceId ?? streamName,
    ...(upstreamIds === undefined ? {} : { upstreamIds }),
    ...(group === undefined ? {} : { group }),
  });
}
