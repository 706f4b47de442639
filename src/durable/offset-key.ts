/**
 * Log offsets as storage keys. LevelDB sorts keys bytewise, so an offset is
 * written as fixed-width lower-case hex: key order is offset order, and the
 * last record of a log is found with one reverse seek.
 */

/** Digits in an offset key; 16 hex digits hold every safe integer. */
export const OFFSET_KEY_WIDTH = 16;

/** The key of the first possible offset (0). */
export const MIN_OFFSET_KEY = "0".repeat(OFFSET_KEY_WIDTH);

/** The key of the last possible offset (`Number.MAX_SAFE_INTEGER`), an inclusive upper bound. */
export const MAX_OFFSET_KEY = Number.MAX_SAFE_INTEGER.toString(16).padStart(OFFSET_KEY_WIDTH, "0");

const OFFSET_KEY_PATTERN = /^[0-9a-f]{16}$/;

/** True when `value` is a usable offset: a safe integer ≥ 0. */
export function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The storage key of `offset`; a RangeError for anything but a safe integer ≥ 0. */
export function offsetKey(offset: number): string {
  if (!isOffset(offset)) throw new RangeError(`offset must be a safe integer >= 0, got ${String(offset)}`);
  return offset.toString(16).padStart(OFFSET_KEY_WIDTH, "0");
}

/** The offset a key stands for, or `undefined` when the key is not an offset key. */
export function offsetOfKey(key: string): number | undefined {
  if (!OFFSET_KEY_PATTERN.test(key)) return undefined;
  const offset = Number.parseInt(key, 16);
  return Number.isSafeInteger(offset) ? offset : undefined;
}
