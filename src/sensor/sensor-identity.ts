import { requireFinite, requireNonEmptyString, requireObject, requireString } from "../atom/validate.js";
import { asWritten, optionalField, requireMetadata, requireTimestamp, orDefault, type FieldNamer } from "./fields.js";

/** A named, typed facet of a sensor (`{ name: "temperature", variant: "celsius" }`). */
export interface SensorTag {
  readonly name: string;
  readonly variant: string;
  /** Free-form details, keys in sorted order. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Where a sensor is (any consistent unit), and optionally since when (ms). */
export interface SensorLocation {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly timestamp?: number;
}

/** Who produced a reading: an optional id, tags, a location and the owning component's group. */
export interface SensorIdentity {
  readonly id?: string;
  readonly tags: readonly SensorTag[];
  readonly location: SensorLocation;
  readonly group?: string;
}

/** What {@link sensorTag} accepts. */
export interface SensorTagInit {
  name: string;
  /** @default "" */
  variant?: string | undefined;
  /** @default {} */
  metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** What {@link sensorLocation} accepts. */
export interface SensorLocationInit {
  x: number;
  y: number;
  z: number;
  timestamp?: number | undefined;
}

/** What {@link sensorIdentity} accepts; every field is optional. */
export interface SensorIdentityInit {
  id?: string | undefined;
  /** @default [] */
  tags?: readonly SensorTagInit[] | undefined;
  /** @default { x: 0, y: 0, z: 0 } */
  location?: SensorLocationInit | undefined;
  group?: string | undefined;
}

/** Identities this module built (already valid and frozen), so they can be reused as they are. */
const built = new WeakSet<SensorIdentity>();

const ORIGIN: SensorLocation = Object.freeze({ x: 0, y: 0, z: 0 });

/** @internal */
export function buildSensorTag(init: unknown, name: FieldNamer): SensorTag {
  const fields = requireObject(name(""), init);
  return Object.freeze({
    name: requireNonEmptyString(name("name"), fields.name),
    variant: requireString(name("variant"), orDefault(fields.variant, "")),
    metadata: requireMetadata(name("metadata"), orDefault(fields.metadata, {})),
  });
}

/** @internal */
export function buildSensorLocation(init: unknown, name: FieldNamer): SensorLocation {
  const fields = requireObject(name(""), init);
  const x = requireFinite(name("x"), fields.x) + 0;
  const y = requireFinite(name("y"), fields.y) + 0;
  const z = requireFinite(name("z"), fields.z) + 0;
  const timestamp = optionalField(fields.timestamp, () => requireTimestamp(name("timestamp"), fields.timestamp));
  return Object.freeze(timestamp === undefined ? { x, y, z } : { x, y, z, timestamp });
}

/** @internal */
export function buildSensorIdentity(init: unknown, name: FieldNamer): SensorIdentity {
  if (isBuiltIdentity(init)) return init;
  const fields = requireObject(name(""), init);
  const id = optionalField(fields.id, () => requireNonEmptyString(name("id"), fields.id));
  const tagsValue = orDefault(fields.tags, []);
  if (!Array.isArray(tagsValue)) throw new TypeError(`${name("tags")} must be an array`);
  const tags = Object.freeze(
    (tagsValue as unknown[]).map((tag, i) => buildSensorTag(tag, (field) => nested(name(`tags[${i}]`), field))),
  );
  const location =
    fields.location === undefined ? ORIGIN : buildSensorLocation(fields.location, (field) => nested(name("location"), field));
  const group = optionalField(fields.group, () => requireNonEmptyString(name("group"), fields.group));
  return freezeIdentity(id, tags, location, group);
}

function freezeIdentity(
  id: string | undefined,
  tags: readonly SensorTag[],
  location: SensorLocation,
  group: string | undefined,
): SensorIdentity {
  const identity: { id?: string; tags: readonly SensorTag[]; location: SensorLocation; group?: string } = { tags, location };
  if (id !== undefined) identity.id = id;
  if (group !== undefined) identity.group = group;
  Object.freeze(identity);
  built.add(identity);
  return identity;
}

function isBuiltIdentity(value: unknown): value is SensorIdentity {
  return typeof value === "object" && value !== null && built.has(value as SensorIdentity);
}

/** `parent.field`, or `parent` itself for the object as a whole. */
export function nested(parent: string, field: string): string {
  return field === "" ? parent : parent === "" ? field : `${parent}.${field}`;
}

const rootNamer = (kind: string): FieldNamer => (field) => (field === "" ? kind : asWritten(field));

/**
 * Makes a validated, frozen {@link SensorTag}; a wrong field throws a
 * `TypeError`/`RangeError` naming it.
 *
 * ```ts
 * sensorTag({ name: "temperature", variant: "celsius" });
 * ```
 * @lego SensorIdentity
 */
export function sensorTag(init: SensorTagInit): SensorTag {
  return buildSensorTag(init, rootNamer("tag"));
}

/**
 * Makes a validated, frozen {@link SensorLocation} (finite `x`, `y`, `z`,
 * optional `timestamp`).
 * @lego SensorIdentity
 */
export function sensorLocation(init: SensorLocationInit): SensorLocation {
  return buildSensorLocation(init, rootNamer("location"));
}

/**
 * Makes a validated, frozen {@link SensorIdentity}: no tags and the origin as
 * location unless given.
 *
 * ```ts
 * sensorIdentity({ id: "bme280-0", tags: [{ name: "humidity", variant: "percent" }], group: "ambient" });
 * ```
 * @lego SensorIdentity
 */
export function sensorIdentity(init: SensorIdentityInit = {}): SensorIdentity {
  return buildSensorIdentity(init, rootNamer("identity"));
}

/** The same identity with `group` set, when it had none (DESIGN.md §1.6). */
export function identityInGroup(identity: SensorIdentity, group: string | undefined): SensorIdentity {
  if (group === undefined || identity.group !== undefined) return identity;
  return freezeIdentity(identity.id, identity.tags, identity.location, group);
}
