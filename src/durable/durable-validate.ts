/** Option checks shared by the durable legos (see src/atom/validate.ts for the general ones). */
import { requireFunction, requireObject } from "../atom/validate.js";
import type { Codec } from "../local/schema.js";
import { isClock, type Clock } from "../time/clock.js";
import { isOffset } from "./offset-key.js";

/** A log offset: TypeError for a non-number, RangeError for anything but a safe integer ≥ 0. */
export function requireOffset(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!isOffset(value)) throw new RangeError(`${name} must be a safe integer >= 0, got ${String(value)}`);
  return value;
}

/** Something shaped like a {@link Codec}. */
export function requireCodec<T>(name: string, value: unknown): Codec<T> {
  const codec = requireObject(name, value);
  requireFunction(`${name}.encode`, codec.encode as (v: unknown) => Uint8Array);
  requireFunction(`${name}.decode`, codec.decode as (b: Uint8Array) => unknown);
  return codec as unknown as Codec<T>;
}

/** Anything with `now()` (every RxJS scheduler qualifies). */
export function requireClock(name: string, value: unknown): Clock {
  if (!isClock(value)) throw new TypeError(`${name} must have a now() method`);
  return value;
}

/** An object with the named methods (a port or a structural dependency): TypeError naming the missing one. */
export function requireMethods(name: string, value: unknown, methods: readonly string[]): Record<string, unknown> {
  const object = requireObject(name, value);
  for (const method of methods) {
    if (typeof object[method] !== "function") throw new TypeError(`${name}.${method} must be a function`);
  }
  return object;
}
