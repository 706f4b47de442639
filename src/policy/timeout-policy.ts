import { optional, requireObject, requirePositive } from "../atom/validate.js";

/**
 * The catalog's `TimeoutPolicy` (pure, frozen data): how long a stream may
 * take before its consumer stops waiting. Each budget is optional (at least
 * one is required), in ms, finite and > 0:
 *
 * - `first`: until the first value;
 * - `each`: between two values (and from subscribe to the first, when `first` is absent);
 * - `total`: from subscribe until completion, whatever happens in between.
 *
 * A timeout ends the wait, not the work: the other side may still finish.
 */
export interface TimeoutPolicy {
  readonly first?: number;
  readonly each?: number;
  readonly total?: number;
}

/** The fields {@link TimeoutPolicy.of} takes. */
export interface TimeoutPolicyOptions {
  /** Budget until the first value, ms. @default undefined (no limit) */
  first?: number;
  /** Budget between values, ms. @default undefined (no limit) */
  each?: number;
  /** Budget from subscribe to completion, ms. @default undefined (no limit) */
  total?: number;
}

function make(options: TimeoutPolicyOptions, name: string): TimeoutPolicy {
  requireObject(name, options);
  const policy: { -readonly [K in keyof TimeoutPolicy]: TimeoutPolicy[K] } = {};
  const first = optional(`${name}.first`, options.first, requirePositive);
  const each = optional(`${name}.each`, options.each, requirePositive);
  const total = optional(`${name}.total`, options.total, requirePositive);
  if (first !== undefined) policy.first = first;
  if (each !== undefined) policy.each = each;
  if (total !== undefined) policy.total = total;
  if (first === undefined && each === undefined && total === undefined) {
    throw new TypeError(`${name} needs at least one of first, each, total`);
  }
  return Object.freeze(policy);
}

export const TimeoutPolicy = Object.freeze({
  /** A policy with the given budgets (at least one). */
  of(options: TimeoutPolicyOptions): TimeoutPolicy {
    return make(options, "timeout");
  },
  /** Only an overall budget: `total` ms from subscribe to completion. */
  total(ms: number): TimeoutPolicy {
    return make({ total: ms }, "timeout");
  },
  /** Only a budget between values (and before the first). */
  each(ms: number): TimeoutPolicy {
    return make({ each: ms }, "timeout");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: TimeoutPolicy, name = "timeout"): TimeoutPolicy {
    return make(policy, name);
  },
});
