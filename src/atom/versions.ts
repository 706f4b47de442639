/**
 * Ordering atoms: `Version`, `Generation`, `Epoch`, `Term` (fencing-style
 * counters where a smaller one is stale) and `Offset`, `SequenceNumber`
 * (positions). All are branded non-negative safe integers.
 */
import type { Brand } from "./ids.js";

export type Version = Brand<number, "Version">;
export type Generation = Brand<number, "Generation">;
export type Epoch = Brand<number, "Epoch">;
export type Term = Brand<number, "Term">;
export type Offset = Brand<number, "Offset">;
export type SequenceNumber = Brand<number, "SequenceNumber">;

/** Any of the counters compared by `compareCounter` / `isStale`. */
export type Counter = Version | Generation | Epoch | Term | Offset | SequenceNumber;

function isCounter(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function requireCounter(label: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${label} must be a number, got ${value === null ? "null" : typeof value}`);
  if (!isCounter(value)) throw new RangeError(`${label} must be a safe integer >= 0, got ${String(value)}`);
  return value;
}

/** A `Version` (safe integer >= 0). @throws TypeError, RangeError. @lego Version */
export function version(value: number): Version {
  return requireCounter("Version", value) as Version;
}
/** @lego Version */
export function isVersion(value: unknown): value is Version {
  return isCounter(value);
}
/** A `Generation` (safe integer >= 0). @lego Generation */
export function generation(value: number): Generation {
  return requireCounter("Generation", value) as Generation;
}
/** @lego Generation */
export function isGeneration(value: unknown): value is Generation {
  return isCounter(value);
}
/** An `Epoch` (safe integer >= 0). @lego Epoch */
export function epoch(value: number): Epoch {
  return requireCounter("Epoch", value) as Epoch;
}
/** @lego Epoch */
export function isEpoch(value: unknown): value is Epoch {
  return isCounter(value);
}
/** A `Term` (safe integer >= 0). @lego Term */
export function term(value: number): Term {
  return requireCounter("Term", value) as Term;
}
/** @lego Term */
export function isTerm(value: unknown): value is Term {
  return isCounter(value);
}
/** An `Offset` (position in a log, safe integer >= 0). @lego Offset */
export function offset(value: number): Offset {
  return requireCounter("Offset", value) as Offset;
}
/** Same rule as the package-root `isOffset` (src/durable/offset-key.ts), narrowing to the brand. @lego Offset */
export function isOffsetAtom(value: unknown): value is Offset {
  return isCounter(value);
}
/** A `SequenceNumber` (safe integer >= 0). @lego SequenceNumber */
export function sequenceNumber(value: number): SequenceNumber {
  return requireCounter("SequenceNumber", value) as SequenceNumber;
}
/** @lego SequenceNumber */
export function isSequenceNumber(value: unknown): value is SequenceNumber {
  return isCounter(value);
}

/** Negative, zero or positive as `a` is before, equal to or after `b`; both of the same brand. */
export function compareCounter<C extends Counter>(a: C, b: C): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `a` is stale relative to `b`: strictly smaller (an older version, epoch, term…). */
export function isStale<C extends Counter>(a: C, b: C): boolean {
  return a < b;
}

/** The next counter of the same brand. @throws RangeError past MAX_SAFE_INTEGER. */
export function nextCounter<C extends Counter>(value: C): C {
  return requireCounter("next counter", value + 1) as C;
}
