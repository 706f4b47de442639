import { requireNonEmptyString, requireObject } from "../atom/validate.js";
import { optionalField, requireMetadata, requireSequenceNumber, requireTimestamp, orDefault, type FieldNamer } from "./fields.js";
import { buildSensorIdentity, nested, sensorIdentity, type SensorIdentity, type SensorIdentityInit } from "./sensor-identity.js";

/**
 * Something a sensor reported: a typed event (`eventType`) with its `data`,
 * when it was observed, who observed it, and optionally its place in a
 * sequence and the raw bytes it was decoded from.
 */
export interface SensorEvent<D = unknown> {
  /** What happened, e.g. `"sensor.event"` or `"button.pressed"`. */
  readonly eventType: string;
  readonly data: D;
  /** When this process observed the event, ms. */
  readonly observedAt: number;
  readonly identity: SensorIdentity;
  readonly sequenceNumber?: number;
  /** The bytes the event was decoded from, when it was decoded. */
  readonly raw?: Uint8Array;
  /** Other fields that came with the event, keys in sorted order. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** What {@link sensorEvent} accepts. */
export interface SensorEventInit<D = unknown> {
  eventType: string;
  /** @default {} */
  data?: D | undefined;
  observedAt: number;
  /** @default sensorIdentity() */
  identity?: SensorIdentity | SensorIdentityInit | undefined;
  sequenceNumber?: number | undefined;
  raw?: Uint8Array | undefined;
  /** @default {} */
  metadata?: Readonly<Record<string, unknown>> | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Freezes an event from parts that are already valid (the decoders' fast
 * path); `metadata` must already be sorted and frozen.
 * @internal
 */
export function makeSensorEvent<D>(
  eventType: string,
  data: D,
  observedAt: number,
  identity: SensorIdentity,
  metadata: Readonly<Record<string, unknown>>,
  sequenceNumber?: number,
  raw?: Uint8Array,
): SensorEvent<D> {
  // One literal per shape, so events share hidden classes.
  if (sequenceNumber !== undefined && raw !== undefined) {
    return Object.freeze({ eventType, data, observedAt, identity, sequenceNumber, raw, metadata });
  }
  const event: Mutable<SensorEvent<D>> = { eventType, data, observedAt, identity, metadata };
  if (sequenceNumber !== undefined) event.sequenceNumber = sequenceNumber;
  if (raw !== undefined) event.raw = raw;
  return Object.freeze(event);
}

/** @internal */
export function buildSensorEvent<D>(init: unknown, name: FieldNamer): SensorEvent<D> {
  const fields = requireObject(name(""), init);
  const raw = fields.raw;
  if (raw !== undefined && !(raw instanceof Uint8Array)) throw new TypeError(`${name("raw")} must be a Uint8Array`);
  return makeSensorEvent(
    requireNonEmptyString(name("eventType"), fields.eventType),
    (fields.data === undefined ? {} : fields.data) as D,
    requireTimestamp(name("observedAt"), fields.observedAt),
    fields.identity === undefined ? sensorIdentity() : buildSensorIdentity(fields.identity, (f) => nested(name("identity"), f)),
    requireMetadata(name("metadata"), orDefault(fields.metadata, {})),
    optionalField(fields.sequenceNumber, () => requireSequenceNumber(name("sequenceNumber"), fields.sequenceNumber)),
    raw,
  );
}

/**
 * Makes a validated, frozen {@link SensorEvent}: `data` defaults to `{}`,
 * `identity` to {@link sensorIdentity}(), `metadata` to `{}` (copied with
 * sorted keys). `data` and `raw` are kept as given, not copied. A wrong
 * field throws a `TypeError`/`RangeError` naming it.
 *
 * ```ts
 * sensorEvent({ eventType: "button.pressed", data: { button: 2 }, observedAt: 1_000 });
 * ```
 * @lego SensorEvent
 */
export function sensorEvent<D = Record<string, never>>(init: SensorEventInit<D>): SensorEvent<D> {
  return buildSensorEvent(init, (field) => (field === "" ? "event" : field));
}

/** True when `value` has the shape of a {@link SensorEvent}. */
export function isSensorEvent(value: unknown): value is SensorEvent {
  if (typeof value !== "object" || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event.eventType === "string" &&
    typeof event.observedAt === "number" &&
    typeof event.identity === "object" &&
    event.identity !== null &&
    "data" in event
  );
}
