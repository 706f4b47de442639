import { DECLARED_PROPERTIES } from "../atom/properties.js";
import type { MonoLegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireNonNegative } from "../atom/validate.js";
import { optionalKey } from "./change-filter.js";
import { acceptingFilter } from "./accepting-filter.js";

/** Options of {@link ThresholdFilter} and {@link thresholdFilter}. */
export interface ThresholdFilterOptions<T> {
  /** The deadband: a number must move by more than this to pass (finite, ≥ 0). */
  threshold: number;
  /** Maps a value to what is compared. @default the value itself */
  key?: (value: T) => unknown;
  /** Label shown in the pipeline view (operator only). @default undefined */
  name?: string;
  /** Label linking the filter to the component that owns it. @default undefined */
  group?: string;
}

/** Nesting deeper than this is treated as a change rather than walked (it also stops cycles). */
const MAX_DEPTH = 64;

type Indexed = ArrayLike<unknown>;

function isIndexed(value: object): value is Indexed {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function isRecord(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `next` moved out of the deadband around `last` (DESIGN.md,
 * "Threshold filter"): finite numbers when `|next − last| > threshold`;
 * non-finite numbers, booleans, strings, `null` and mixed types when `!==`
 * (so `NaN` → `NaN` passes, `Infinity` → `Infinity` does not); arrays and
 * typed arrays element-wise, plain objects key-wise, any shape change
 * (length, key set) passing. Other objects (Dates, class instances) compare
 * with `!==`.
 */
export function exceedsThreshold(last: unknown, next: unknown, threshold: number, depth = 0): boolean {
  if (typeof last === "number" && typeof next === "number") {
    return Number.isFinite(last) && Number.isFinite(next) ? Math.abs(next - last) > threshold : last !== next;
  }
  if (last === next) return false;
  if (typeof last !== "object" || typeof next !== "object" || last === null || next === null) return true;
  if (depth >= MAX_DEPTH) return true;
  if (isIndexed(last)) return !isIndexed(next) || indexedExceeds(last, next, threshold, depth + 1);
  if (isIndexed(next) || !isRecord(last) || !isRecord(next)) return true;
  return recordExceeds(last, next, threshold, depth + 1);
}

function indexedExceeds(last: Indexed, next: Indexed, threshold: number, depth: number): boolean {
  if (last.length !== next.length) return true;
  for (let i = 0; i < last.length; i++) {
    if (exceedsThreshold(last[i], next[i], threshold, depth)) return true;
  }
  return false;
}

// DESIGN.md compares keys "in sorted order"; the verdict does not depend on
// the order, so the key sets are matched without sorting (no allocation).
function recordExceeds(last: Record<string, unknown>, next: Record<string, unknown>, threshold: number, depth: number): boolean {
  const keys = Object.keys(last);
  if (keys.length !== Object.keys(next).length) return true;
  for (const key of keys) {
    if (!Object.hasOwn(next, key)) return true;
  }
  for (const key of keys) {
    if (exceedsThreshold(last[key], next[key], threshold, depth)) return true;
  }
  return false;
}

/**
 * The catalog's `ThresholdFilter` (a deadband) as a pure state machine:
 * `accepts(v)` is true for the first value and whenever `v`'s key moved out
 * of the deadband around the last accepted key (see {@link exceedsThreshold}
 * for numbers, booleans, arrays, objects and the rest). Comparing with the
 * last *accepted* value, not the last seen, lets a slow drift through.
 *
 * Values are kept by reference: do not mutate an accepted object.
 *
 * ## Example
 * ```ts
 * const f = new ThresholdFilter<number>({ threshold: 0.5 });
 * [20, 20.3, 20.6, 20.4, 21.2].filter((v) => f.accepts(v)); // [20, 20.6, 21.2]
 * ```
 * @lego ThresholdFilter
 */
export class ThresholdFilter<T> {
  readonly threshold: number;
  readonly key: ((value: T) => unknown) | undefined;
  group: string | undefined;
  private last: unknown;
  private hasLast = false;

  constructor(options: ThresholdFilterOptions<T>) {
    if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
    this.threshold = requireNonNegative("threshold", options.threshold);
    this.key = optionalKey(options.key);
    this.group = optionalGroup(options.group);
  }

  /** True when `value` is the first or moved out of the deadband (it then becomes the reference). */
  accepts(value: T): boolean {
    const key = this.key === undefined ? value : this.key(value);
    if (this.hasLast) {
      const last = this.last;
      // Finite numbers are the common case: decide without a call.
      const moved =
        typeof key === "number" && typeof last === "number" && Number.isFinite(key) && Number.isFinite(last)
          ? Math.abs(key - last) > this.threshold
          : exceedsThreshold(last, key, this.threshold);
      if (!moved) return false;
    }
    this.last = key;
    this.hasLast = true;
    return true;
  }

  /** Forgets the reference value, so the next value is accepted. */
  reset(): void {
    this.last = undefined;
    this.hasLast = false;
  }
}

/** Reads `thresholdFilter(threshold, key?)` or `thresholdFilter({ threshold, key?, group?, name? })`. */
function thresholdFilterOptions<T>(first: unknown, key: unknown): ThresholdFilterOptions<T> {
  if (typeof first === "object" && first !== null && !Array.isArray(first)) {
    if (key !== undefined) throw new TypeError("key must be given inside the options object when options are used");
    return first as ThresholdFilterOptions<T>;
  }
  return { threshold: first as number, key: key as (value: T) => unknown };
}

/**
 * Passes the first value and every value that moved out of the deadband
 * around the last passed one (the `ThresholdFilter` lego): numbers when
 * `|new − last| > threshold`, booleans on any change, arrays and objects
 * element- or key-wise with any shape change passing.
 *
 * ```text
 * source:  -a-b-c-d-e-|     a=20, b=20.3, c=20.6, d=20.4, e=21.2
 *          thresholdFilter(0.5)
 * result:  -a---c---e-|
 * ```
 *
 * ## Example
 * ```ts
 * temperature$.pipe(thresholdFilter({ threshold: 0.25, key: (s) => s.value, group: "ambient" }));
 * ```
 * Counters on `lego`: `passed`, `suppressed`.
 * @see {@link changeFilter} for exact change detection.
 * @lego ThresholdFilter
 */
export function thresholdFilter<T>(threshold: number, key?: (value: T) => unknown): MonoLegoOperator<T>;
export function thresholdFilter<T>(options: ThresholdFilterOptions<T>): MonoLegoOperator<T>;
export function thresholdFilter<T>(
  thresholdOrOptions: number | ThresholdFilterOptions<T>,
  key?: (value: T) => unknown,
): MonoLegoOperator<T> {
  const options = thresholdFilterOptions<T>(thresholdOrOptions, key);
  const settings: ThresholdFilterOptions<T> = { threshold: requireNonNegative("threshold", options.threshold) };
  const keyFn = optionalKey(options.key);
  if (keyFn !== undefined) settings.key = keyFn;
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  return acceptingFilter("ThresholdFilter", { name, group }, () => new ThresholdFilter<T>(settings), DECLARED_PROPERTIES.ThresholdFilter);
}
