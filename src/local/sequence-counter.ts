import { optional, optionalGroup, requireFinite, requireNonNegativeInteger, requirePositiveInteger } from "../atom/validate.js";

/** Options of {@link SequenceCounter}. */
export interface SequenceCounterOptions {
  /** The value before the first `next()`. @default 0 */
  start?: number;
  /** Increment per `next()`, a positive integer. @default 1 */
  step?: number;
  /** Label linking the counter to the component that owns it. */
  group?: string;
}

/**
 * The catalog's `SequenceCounter`: a local source of monotonically increasing
 * sequence numbers. From `start = 0` the first `next()` returns 1.
 *
 * Sources number an item `peek() + step` and call `next()` only after the
 * item was emitted, so a dropped item never consumes a number.
 *
 * ## Example
 * ```ts
 * const seq = new SequenceCounter({ group: "ambient" });
 * seq.next(); // 1
 * seq.peek(); // 1
 * ```
 * @lego SequenceCounter
 */
export class SequenceCounter {
  readonly step: number;
  group: string | undefined;
  private value: number;

  constructor(options: SequenceCounterOptions = {}) {
    this.value = optional("start", options.start, requireNonNegativeInteger) ?? 0;
    this.step = optional("step", options.step, requirePositiveInteger) ?? 1;
    this.group = optionalGroup(options.group);
  }

  /** Advances the counter and returns the new value. */
  next(): number {
    this.value += this.step;
    return this.value;
  }

  /** The last value handed out (or `start`). */
  peek(): number {
    return this.value;
  }

  /** The value the next `next()` will return. */
  upcoming(): number {
    return this.value + this.step;
  }

  /** Sets the counter so the next `next()` returns `value + step`. */
  reset(value = 0): void {
    requireFinite("value", value);
    this.value = requireNonNegativeInteger("value", value);
  }
}

/** Uses `counter` when given (validating it), else a new counter. */
export function sequenceCounterOrNew(counter: SequenceCounter | undefined, name = "sequence"): SequenceCounter {
  return optional(name, counter, (n, v) => {
    if (!(v instanceof SequenceCounter)) throw new TypeError(`${n} must be a SequenceCounter`);
    return v;
  }) ?? new SequenceCounter();
}
