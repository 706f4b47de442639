import { BehaviorSubject, distinctUntilChanged } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoDescriptor, type LegoObservable } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString } from "../../atom/validate.js";
import { hotCounters } from "../hot-counters.js";

/** Options of {@link featureFlag}. */
export interface FeatureFlagOptions<T> {
  /** When two values are the same (no change is reported). @default Object.is */
  equals?: (a: T, b: T) => boolean;
  /** The flag's name, shown in the pipeline view. @default `<group>.feature_flag` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/**
 * A runtime switch as a stream (the catalog's `FeatureFlag`): `value` is
 * the current value, `set(v)` changes it, and `value$` emits the current
 * value on subscribe and then every change (equal values are not
 * re-emitted). Any value type works: a boolean, a variant name, a number.
 * In-process only; a flag fed from a store is this plus a subscription
 * that calls `set`.
 *
 * ## Example
 * ```ts
 * const uplink = featureFlag(true, { name: "uplink.enabled" });
 * data$.pipe(filter(() => uplink.value));
 * uplink.value$.subscribe((on) => log(`uplink ${on ? "on" : "off"}`));
 * uplink.set(false);
 * ```
 * Counters on `lego`: `changes`.
 * @see `killSwitch`, which tears a stream down when a boolean flag turns true.
 * @lego FeatureFlag
 */
export class FeatureFlag<T> {
  readonly lego: LegoDescriptor;
  /** The current value, then each change. */
  readonly value$: LegoObservable<T>;
  private readonly subject: BehaviorSubject<T>;
  private readonly equals: (a: T, b: T) => boolean;
  private readonly counters: Record<"changes", number>;
  private closed = false;

  constructor(initial: T, options: FeatureFlagOptions<T> = {}) {
    if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
    const group = optionalGroup(options.group);
    this.equals = optional("equals", options.equals, (n, v) => requireFunction(n, v as (a: T, b: T) => boolean)) ?? Object.is;
    const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "feature_flag");
    const meter = legoMeter("FeatureFlag", { name, group }, ["changes"]);
    this.lego = meter.descriptor;
    this.counters = hotCounters(meter, ["changes"] as const);
    this.subject = new BehaviorSubject<T>(initial);
    const equals = this.equals;
    this.value$ = withLego(
      this.subject.pipe(distinctUntilChanged<T>((a, b) => equals(a, b))),
      meter.descriptor,
    );
  }

  /** The current value. */
  get value(): T {
    return this.subject.getValue();
  }

  /** Changes the value; returns true when it differed. */
  set(value: T): boolean {
    if (this.closed) return false;
    if (this.equals(this.subject.getValue(), value)) return false;
    this.counters.changes++;
    this.subject.next(value);
    return true;
  }

  /** Ends `value$` for every subscriber; later `set` calls do nothing. */
  close(): void {
    this.closed = true;
    this.subject.complete();
  }
}

/** A {@link FeatureFlag} holding `initial`. @lego FeatureFlag */
export function featureFlag<T>(initial: T, options: FeatureFlagOptions<T> = {}): FeatureFlag<T> {
  return new FeatureFlag(initial, options);
}
