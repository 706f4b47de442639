/**
 * Quantity atoms: `Timestamp`, `Duration` (milliseconds), `Priority`,
 * `Capacity`, `Cost`, plus `Bytes`, `Key`, `Token` and `Status`. Branded,
 * validated at construction.
 */
import type { Brand } from "./ids.js";
import type { Clock } from "../time/clock.js";

export type Timestamp = Brand<number, "Timestamp">;
export type Duration = Brand<number, "Duration">;
export type Priority = Brand<number, "Priority">;
export type Capacity = Brand<number, "Capacity">;
export type Cost = Brand<number, "Cost">;
export type Key = Brand<string, "Key">;
export type Token = Brand<string, "Token">;
/** Bytes: an immutable-by-contract `Uint8Array`, branded. */
export type Bytes = Brand<Uint8Array, "Bytes">;

function kind(value: unknown): string {
  return value === null ? "null" : typeof value;
}

function requireFiniteNonNegative(label: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${label} must be a number, got ${kind(value)}`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${label} must be a finite number >= 0, got ${value}`);
  return value;
}

/** A `Timestamp`: ms since the Unix epoch, finite and >= 0. @lego Timestamp */
export function timestamp(value: number): Timestamp {
  return requireFiniteNonNegative("Timestamp", value) as Timestamp;
}
/** @lego Timestamp */
export function isTimestamp(value: unknown): value is Timestamp {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
/** The clock's current time as a `Timestamp`. @lego Timestamp */
export function timestampFrom(clock: Clock): Timestamp {
  return timestamp(clock.now());
}

/** A `Duration` in ms: finite and >= 0. @lego Duration */
export function duration(ms: number): Duration {
  return requireFiniteNonNegative("Duration", ms) as Duration;
}
/** @lego Duration */
export function isDuration(value: unknown): value is Duration {
  return isTimestamp(value);
}
/** The duration from `from` to `to` (0 when `to` is earlier). */
export function elapsed(from: Timestamp, to: Timestamp): Duration {
  return Math.max(0, to - from) as Duration;
}
/** `at` plus `d`. */
export function addDuration(at: Timestamp, d: Duration): Timestamp {
  return timestamp(at + d);
}

/** A `Priority`: an integer; larger runs first. @lego Priority */
export function priority(value: number): Priority {
  if (typeof value !== "number") throw new TypeError(`Priority must be a number, got ${kind(value)}`);
  if (!Number.isSafeInteger(value)) throw new RangeError(`Priority must be a safe integer, got ${value}`);
  return value as Priority;
}
/** @lego Priority */
export function isPriority(value: unknown): value is Priority {
  return typeof value === "number" && Number.isSafeInteger(value);
}
/** Sort comparator: higher priority first. */
export function byPriority(a: Priority, b: Priority): number {
  return b - a;
}

/** A `Capacity`: a positive safe integer (a bound must admit something). @lego Capacity */
export function capacity(value: number): Capacity {
  if (typeof value !== "number") throw new TypeError(`Capacity must be a number, got ${kind(value)}`);
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`Capacity must be a positive integer, got ${value}`);
  return value as Capacity;
}
/** @lego Capacity */
export function isCapacity(value: unknown): value is Capacity {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

/** A `Cost`: finite and >= 0 (tokens, bytes, weight a request takes). @lego Cost */
export function cost(value: number): Cost {
  return requireFiniteNonNegative("Cost", value) as Cost;
}
/** @lego Cost */
export function isCost(value: unknown): value is Cost {
  return isTimestamp(value);
}

/** The longest `Key`, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024;
/** A `Key`: a non-empty string without control characters, at most 1024 long. @lego Key */
export function key(value: string): Key {
  if (typeof value !== "string") throw new TypeError(`Key must be a string, got ${kind(value)}`);
  if (!isKey(value)) throw new RangeError(`Key must be 1..${MAX_KEY_LENGTH} characters without control characters, got ${JSON.stringify(value)}`);
  return value;
}
/** @lego Key */
export function isKey(value: unknown): value is Key {
  // eslint-disable-next-line no-control-regex
  return typeof value === "string" && value.length > 0 && value.length <= MAX_KEY_LENGTH && !/[\x00-\x1f\x7f]/.test(value);
}

/** A `Token`: an opaque non-empty string without whitespace (a cursor, lease or auth token). @lego Token */
export function token(value: string): Token {
  if (typeof value !== "string") throw new TypeError(`Token must be a string, got ${kind(value)}`);
  if (!isToken(value)) throw new RangeError("Token must be a non-empty string without whitespace");
  return value;
}
/** @lego Token */
export function isToken(value: unknown): value is Token {
  return typeof value === "string" && value.length > 0 && !/\s/.test(value);
}

/** `Bytes` from a `Uint8Array` (copied, so later writes to the source don't show), a string (UTF-8) or a number array. @lego Bytes */
export function bytes(value: Uint8Array | string | readonly number[]): Bytes {
  if (typeof value === "string") return new Uint8Array(Buffer.from(value, "utf8")) as Bytes;
  if (value instanceof Uint8Array) return new Uint8Array(value) as Bytes;
  if (Array.isArray(value)) {
    for (const [i, b] of value.entries()) {
      if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`Bytes[${i}] must be an integer in 0..255, got ${String(b)}`);
    }
    return Uint8Array.from(value) as Bytes;
  }
  throw new TypeError(`Bytes must be a Uint8Array, string or number array, got ${kind(value)}`);
}
/** @lego Bytes */
export function isBytes(value: unknown): value is Bytes {
  return value instanceof Uint8Array;
}
/** True when two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The statuses of the catalog's Status atom: health (ok, stale, error) and progress (pending, running, done). */
export const STATUSES = ["ok", "stale", "error", "pending", "running", "done"] as const;
export type Status = (typeof STATUSES)[number];
/** A `Status`, validated. @lego Status */
export function status(value: string): Status {
  if (typeof value !== "string") throw new TypeError(`Status must be a string, got ${kind(value)}`);
  if (!isStatus(value)) throw new RangeError(`Status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(value)}`);
  return value;
}
/** @lego Status */
export function isStatus(value: unknown): value is Status {
  return typeof value === "string" && (STATUSES as readonly string[]).includes(value);
}
