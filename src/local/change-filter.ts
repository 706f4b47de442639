import { DECLARED_PROPERTIES } from "../atom/properties.js";
import type { MonoLegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString } from "../atom/validate.js";
import { acceptingFilter } from "./accepting-filter.js";

/** Options of {@link ChangeFilter} and {@link changeFilter}. */
export interface ChangeFilterOptions<T> {
  /** Maps a value to what is compared (with `!==`). @default the value itself */
  key?: (value: T) => unknown;
  /** Label shown in the pipeline view (operator only). @default undefined */
  name?: string;
  /** Label linking the filter to the component that owns it. @default undefined */
  group?: string;
}

/** @internal Validates an optional `key` function (TypeError naming the option). */
export function optionalKey<F extends (value: never) => unknown>(value: F | undefined, name = "key"): F | undefined {
  return optional(name, value, (n, v) => requireFunction(n, v as F));
}

/**
 * The catalog's `ChangeFilter` as a pure state machine: `accepts(v)` is true
 * for the first value and for every value whose key differs (`!==`) from the
 * last accepted one. As with `distinctUntilChanged`, `NaN` keys always differ.
 *
 * ## Example
 * ```ts
 * const f = new ChangeFilter<{ door: string }>({ key: (e) => e.door });
 * f.accepts({ door: "open" });   // true
 * f.accepts({ door: "open" });   // false
 * f.accepts({ door: "closed" }); // true
 * ```
 * @lego ChangeFilter
 */
export class ChangeFilter<T> {
  readonly key: ((value: T) => unknown) | undefined;
  group: string | undefined;
  private last: unknown;
  private hasLast = false;

  constructor(options: ChangeFilterOptions<T> = {}) {
    if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
    this.key = optionalKey(options.key);
    this.group = optionalGroup(options.group);
  }

  /** True when `value` is the first or its key differs from the last accepted one (which it then becomes). */
  accepts(value: T): boolean {
    const key = this.key === undefined ? value : this.key(value);
    if (this.hasLast && key === this.last) return false;
    this.last = key;
    this.hasLast = true;
    return true;
  }

  /** Forgets the last accepted key, so the next value is accepted. */
  reset(): void {
    this.last = undefined;
    this.hasLast = false;
  }
}

/** Reads `changeFilter(key)` or `changeFilter({ key, group, name })`. */
function changeFilterOptions<T>(arg: unknown): ChangeFilterOptions<T> {
  if (typeof arg === "object" && arg !== null && !Array.isArray(arg)) return arg;
  return arg === undefined ? {} : { key: requireFunction("key", arg as (value: T) => unknown) };
}

/**
 * Passes the first value and every value whose key differs from the last
 * passed one (the `ChangeFilter` lego; `distinctUntilChanged` with a key and
 * counters).
 *
 * ```text
 * source:  -a-a-b-b-b-a-|
 *          changeFilter()
 * result:  -a---b-----a-|
 * ```
 *
 * ## Example
 * ```ts
 * doorEvents$.pipe(changeFilter((e) => e.state), changeFilter({ group: "door" }));
 * ```
 * Counters on `lego`: `passed`, `suppressed`.
 * @see {@link thresholdFilter} for a deadband on numbers, arrays and objects.
 * @lego ChangeFilter
 */
export function changeFilter<T>(key?: (value: T) => unknown): MonoLegoOperator<T>;
export function changeFilter<T>(options: ChangeFilterOptions<T>): MonoLegoOperator<T>;
export function changeFilter<T>(keyOrOptions?: ((value: T) => unknown) | ChangeFilterOptions<T>): MonoLegoOperator<T> {
  const options = changeFilterOptions<T>(keyOrOptions);
  const key = optionalKey(options.key);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  return acceptingFilter("ChangeFilter", { name, group }, () => new ChangeFilter<T>(key === undefined ? {} : { key }), DECLARED_PROPERTIES.ChangeFilter);
}
