/**
 * Field checks shared by the sensor types' constructors and their codecs.
 * A constructor names fields as users wrote them (`sequenceNumber`); a codec
 * names them as they appear on the wire (`SensorSample.sequence_number`), so
 * one validation routine serves both through a {@link FieldNamer}.
 *
 * @internal not part of the package surface.
 */
import { requireFinite, requireNonNegativeInteger, requireObject, requireString } from "../atom/validate.js";

/** Turns a field's property name into the name an error message shows. */
export type FieldNamer = (field: string) => string;

/** Names fields as the caller wrote them. */
export const asWritten: FieldNamer = (field) => field;

/** True for `{}`-style objects (not arrays, class instances or typed arrays). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Code-unit order, the project's one meaning of "sorted". */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A frozen copy of `record` with its keys inserted in sorted order. */
export function sortedRecord(record: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const keys = Object.keys(record);
  const copy: Record<string, unknown> = {};
  // Already-sorted keys (the common case) skip the sort.
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (compareKeys(keys[i - 1] as string, keys[i] as string) > 0) {
      sorted = false;
      break;
    }
  }
  if (!sorted) keys.sort(compareKeys);
  for (const key of keys) setOwn(copy, key, record[key]);
  return Object.freeze(copy);
}

/**
 * `record[key] = value` that also works for a key named `__proto__` (which
 * JSON can carry), instead of changing the record's prototype.
 */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** A metadata record: a plain object, copied with sorted keys and frozen. */
export function requireMetadata(name: string, value: unknown): Readonly<Record<string, unknown>> {
  if (!isPlainObject(value)) {
    requireObject(name, value);
    throw new TypeError(`${name} must be a plain object`);
  }
  return sortedRecord(value);
}

/** A finite number; `-0` becomes `0` so equal timestamps encode alike. */
export function requireTimestamp(name: string, value: unknown): number {
  return requireFinite(name, value) + 0;
}

/** A non-negative safe integer (`-0` becomes `0`). */
export function requireSequenceNumber(name: string, value: unknown): number {
  const n = requireNonNegativeInteger(name, value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be a safe integer, got ${n}`);
  return n + 0;
}

/** Present-or-absent optional fields, both `undefined` and a missing key meaning absent. */
export function optionalField<T>(value: unknown, check: () => T): T | undefined {
  return value === undefined ? undefined : check();
}

export { requireFinite, requireString };

/** `value`, or `fallback` when it is `undefined` (a `null` is kept, so it is reported as wrong). */
export function orDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}
