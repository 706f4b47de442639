import type { Codec } from "../local/schema.js";
import { canonicalJson, encodeUtf8, fromBase64, parseJson, reviveTagged, toBase64 } from "../local/value-codecs.js";
import { isPlainObject, type FieldNamer } from "./fields.js";
import { buildHealthStatus, type HealthStatus } from "./health-status.js";
import { buildSensorEvent, type SensorEvent } from "./sensor-event.js";
import type { SensorIdentity, SensorLocation, SensorTag } from "./sensor-identity.js";
import { buildSensorSample, type SensorSample } from "./sensor-sample.js";

/*
 * Wire formats (version 1), keys in the seed's snake_case, written sorted:
 *
 *   SensorSample[<id>]  {"ingest_timestamp","quality"?,"sequence_number","source_timestamp","status"?,"value"}
 *                       value = base64 of the value codec's bytes
 *   SensorEvent         {"data","event_type","identity","metadata","observed_at","raw"?,"sequence_number"?}
 *                       identity = {"group"?,"id"?,"location":{"timestamp"?,"x","y","z"},"tags":[{"metadata","name","variant"}]}
 *                       raw = base64; bytes inside data/metadata = {"$bytes":"<base64>"}
 *   HealthStatus        {"error_count","message","observed_at","stale","status"}
 *
 * Decoding is strict: unknown or missing keys, wrong JSON types, bare
 * NaN/Infinity and bad base64 throw a TypeError/RangeError naming the field
 * as it appears on the wire (`SensorEvent.identity.location.x`).
 */

const SNAKE: Readonly<Record<string, string>> = {
  sourceTimestamp: "source_timestamp",
  ingestTimestamp: "ingest_timestamp",
  sequenceNumber: "sequence_number",
  eventType: "event_type",
  observedAt: "observed_at",
  errorCount: "error_count",
};

/** Names a field as it appears on the wire under `root`. */
function wireNamer(root: string): FieldNamer {
  return (field) => (field === "" ? root : `${root}.${SNAKE[field] ?? field}`);
}

/** The keys of a decoded wire object, checked against what the schema allows. */
function wireFields(
  value: unknown,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (!isPlainObject(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    throw new TypeError(`${path} must be a JSON object, got ${got}`);
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) throw new TypeError(`${path}.${key} is missing`);
  }
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new TypeError(`${path}.${key} is not a field of ${path}`);
  }
  return value;
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * The `Schema` of a {@link SensorSample} whose value is encoded by
 * `valueCodec`: compact JSON with sorted snake_case keys, the value as base64
 * of the value codec's bytes. Its `id` is `SensorSample[<value codec id>]`.
 *
 * ```ts
 * const codec = sensorSampleCodec(numberCodec());
 * codec.id; // "SensorSample[number]"
 * codec.decode(codec.encode(sample)); // equal to sample
 * ```
 * @lego Schema
 */
export function sensorSampleCodec<T>(valueCodec: Codec<T>): Codec<SensorSample<T>> {
  if (typeof valueCodec !== "object" || (valueCodec as unknown) === null) throw new TypeError("valueCodec must be a Codec");
  if (typeof valueCodec.encode !== "function" || typeof valueCodec.decode !== "function" || typeof valueCodec.id !== "string") {
    throw new TypeError("valueCodec must be a Codec (id, encode, decode)");
  }
  const id = `SensorSample[${valueCodec.id}]`;
  const camelNames: FieldNamer = (field) => (field === "" ? "sample" : field);
  const wireNames = wireNamer(id);
  return Object.freeze({
    id,
    version: 1,
    encode(sample: SensorSample<T>): Uint8Array {
      const valid = buildSensorSample<T>(sample, camelNames);
      const wire = withoutUndefined({
        ingest_timestamp: valid.ingestTimestamp,
        quality: valid.quality,
        sequence_number: valid.sequenceNumber,
        source_timestamp: valid.sourceTimestamp,
        status: valid.status,
        value: toBase64(encodeValue(valueCodec, valid.value, "value")),
      });
      return encodeUtf8(canonicalJson(wire, id));
    },
    decode(bytes: Uint8Array): SensorSample<T> {
      const wire = wireFields(
        parseJson(bytes, id),
        id,
        ["ingest_timestamp", "sequence_number", "source_timestamp", "value"],
        ["quality", "status"],
      );
      const valueBytes = fromBase64(wire.value, `${id}.value`);
      return buildSensorSample<T>(
        {
          value: decodeValue(valueCodec, valueBytes, `${id}.value`),
          sourceTimestamp: wire.source_timestamp,
          ingestTimestamp: wire.ingest_timestamp,
          sequenceNumber: wire.sequence_number,
          quality: wire.quality,
          status: wire.status,
        },
        wireNames,
      );
    },
  });
}

function encodeValue<T>(codec: Codec<T>, value: T, path: string): Uint8Array {
  try {
    return codec.encode(value);
  } catch (error) {
    throw rethrowAt(error, path);
  }
}

function decodeValue<T>(codec: Codec<T>, bytes: Uint8Array, path: string): T {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw rethrowAt(error, path);
  }
}

/** The same kind of error, its message prefixed with the field it concerns. */
function rethrowAt(error: unknown, path: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const Kind = error instanceof RangeError ? RangeError : TypeError;
  return new Kind(`${path}: ${message}`, { cause: error });
}

function locationToWire(location: SensorLocation): Record<string, unknown> {
  return withoutUndefined({ timestamp: location.timestamp, x: location.x, y: location.y, z: location.z });
}

function tagToWire(tag: SensorTag): Record<string, unknown> {
  return { metadata: tag.metadata, name: tag.name, variant: tag.variant };
}

function identityToWire(identity: SensorIdentity): Record<string, unknown> {
  return withoutUndefined({
    group: identity.group,
    id: identity.id,
    location: locationToWire(identity.location),
    tags: identity.tags.map(tagToWire),
  });
}

function identityFromWire(value: unknown, path: string): Record<string, unknown> {
  const wire = wireFields(value, path, ["location", "tags"], ["group", "id"]);
  const location = wireFields(wire.location, `${path}.location`, ["x", "y", "z"], ["timestamp"]);
  if (!Array.isArray(wire.tags)) throw new TypeError(`${path}.tags must be an array`);
  const tags = (wire.tags as unknown[]).map((tag, i) => {
    const tagPath = `${path}.tags[${i}]`;
    const fields = wireFields(tag, tagPath, ["metadata", "name", "variant"]);
    return { ...fields, metadata: reviveTagged(fields.metadata, `${tagPath}.metadata`) };
  });
  return { ...wire, location, tags };
}

/**
 * The `Schema` of a {@link SensorEvent} (id `"SensorEvent"`): compact JSON
 * with sorted snake_case keys; `raw` as base64, and bytes anywhere in
 * `data` or `metadata` as `{"$bytes":"<base64>"}`, so they survive a round
 * trip.
 *
 * ```ts
 * const codec = sensorEventCodec();
 * codec.decode(codec.encode(event)); // equal to event
 * ```
 * @lego Schema
 */
export function sensorEventCodec<D = unknown>(): Codec<SensorEvent<D>> {
  const id = "SensorEvent";
  const camelNames: FieldNamer = (field) => (field === "" ? "event" : field);
  const wireNames = wireNamer(id);
  return Object.freeze({
    id,
    version: 1,
    encode(event: SensorEvent<D>): Uint8Array {
      const valid = buildSensorEvent<D>(event, camelNames);
      const wire = withoutUndefined({
        data: valid.data,
        event_type: valid.eventType,
        identity: identityToWire(valid.identity),
        metadata: valid.metadata,
        observed_at: valid.observedAt,
        raw: valid.raw === undefined ? undefined : toBase64(valid.raw),
        sequence_number: valid.sequenceNumber,
      });
      return encodeUtf8(canonicalJson(wire, id, "tagged"));
    },
    decode(bytes: Uint8Array): SensorEvent<D> {
      const wire = wireFields(
        parseJson(bytes, id),
        id,
        ["data", "event_type", "identity", "metadata", "observed_at"],
        ["raw", "sequence_number"],
      );
      const metadata = reviveTagged(wire.metadata, `${id}.metadata`);
      if (!isPlainObject(metadata)) throw new TypeError(`${id}.metadata must be a JSON object`);
      return buildSensorEvent<D>(
        {
          eventType: wire.event_type,
          data: reviveTagged(wire.data, `${id}.data`),
          observedAt: wire.observed_at,
          identity: identityFromWire(wire.identity, `${id}.identity`),
          metadata,
          sequenceNumber: wire.sequence_number,
          raw: wire.raw === undefined ? undefined : fromBase64(wire.raw, `${id}.raw`),
        },
        wireNames,
      );
    },
  });
}

/**
 * The `Schema` of a {@link HealthStatus} (id `"HealthStatus"`): compact JSON
 * with sorted snake_case keys.
 * @lego Schema
 */
export function healthStatusCodec(): Codec<HealthStatus> {
  const id = "HealthStatus";
  const camelNames: FieldNamer = (field) => (field === "" ? "health" : field);
  const wireNames = wireNamer(id);
  return Object.freeze({
    id,
    version: 1,
    encode(status: HealthStatus): Uint8Array {
      const valid = buildHealthStatus(status, camelNames);
      const wire = {
        error_count: valid.errorCount,
        message: valid.message,
        observed_at: valid.observedAt,
        stale: valid.stale,
        status: valid.status,
      };
      return encodeUtf8(canonicalJson(wire, id));
    },
    decode(bytes: Uint8Array): HealthStatus {
      const wire = wireFields(parseJson(bytes, id), id, ["error_count", "message", "observed_at", "stale", "status"]);
      return buildHealthStatus(
        {
          status: wire.status,
          observedAt: wire.observed_at,
          message: wire.message,
          stale: wire.stale,
          errorCount: wire.error_count,
        },
        wireNames,
      );
    },
  });
}
