import { requireFunction, requireObject, requirePositiveInteger } from "../atom/validate.js";

/**
 * The catalog's `PriorityPolicy` (strict priority): `levels` classes
 * numbered `0 … levels − 1`, **higher served first**, FIFO within a class;
 * `priorityOf(value)` classifies each item. Pure, frozen data, applied by
 * `boundedQueue({ priority })`. Strict priority starves low classes under
 * sustained load; bound that with `admission` or a `fairQueue`.
 */
export interface PriorityPolicy<T = unknown> {
  /** Number of classes, a positive integer (at most 64). */
  readonly levels: number;
  /** The class of `value`: an integer in `[0, levels)`; anything else is invalid data. */
  readonly priorityOf: (value: T) => number;
}

/** Options of {@link PriorityPolicy.strict}. */
export interface PriorityPolicyOptions<T> {
  /** Number of classes, a positive integer, at most 64. */
  levels: number;
  /** The class of `value`, an integer in `[0, levels)`; higher is served first. */
  priorityOf: (value: T) => number;
}

function make<T>(options: PriorityPolicyOptions<T>, name: string): PriorityPolicy<T> {
  requireObject(name, options);
  const levels = requirePositiveInteger(`${name}.levels`, options.levels);
  if (levels > 64) throw new RangeError(`${name}.levels must be at most 64, got ${levels}`);
  const priorityOf = requireFunction(`${name}.priorityOf`, options.priorityOf);
  return Object.freeze({ levels, priorityOf });
}

export const PriorityPolicy = Object.freeze({
  /** Strict priority over `levels` classes, higher first, FIFO within a class. */
  strict<T>(options: PriorityPolicyOptions<T>): PriorityPolicy<T> {
    return make(options, "priority");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from<T>(policy: PriorityPolicy<T>, name = "priority"): PriorityPolicy<T> {
    return make(policy, name);
  },
});
