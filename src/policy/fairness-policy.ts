import { optional, requireObject, requirePositive } from "../atom/validate.js";

/**
 * The catalog's `FairnessPolicy` as weighted fair queuing: each key (tenant,
 * sensor) gets a share of releases proportional to its weight — a key of
 * weight 2 gets twice the turns of a key of weight 1 while both have work
 * waiting. Pure, frozen data, applied by `fairQueue` / `WeightedFairQueue`.
 */
export interface FairnessPolicy {
  /** Weights of known keys, each > 0. */
  readonly weights: Readonly<Record<string, number>>;
  /** Weight of any other key, > 0. */
  readonly defaultWeight: number;
}

/** Options of {@link FairnessPolicy.weighted}. */
export interface FairnessPolicyOptions {
  /** Weights of known keys, each a finite number > 0. @default {} */
  weights?: Record<string, number>;
  /** Weight of any other key. @default 1 */
  defaultWeight?: number;
}

function make(options: FairnessPolicyOptions, name: string): FairnessPolicy {
  requireObject(name, options);
  const weights: Record<string, number> = {};
  if (options.weights !== undefined) {
    requireObject(`${name}.weights`, options.weights);
    for (const [key, weight] of Object.entries(options.weights)) weights[key] = requirePositive(`${name}.weights.${key}`, weight);
  }
  const defaultWeight = optional(`${name}.defaultWeight`, options.defaultWeight, requirePositive) ?? 1;
  return Object.freeze({ weights: Object.freeze(weights), defaultWeight });
}

export const FairnessPolicy = Object.freeze({
  /** Equal shares for every key (round robin). */
  equal(): FairnessPolicy {
    return make({}, "fairness");
  },
  /** Shares proportional to `weights` (others get `defaultWeight`, default 1). */
  weighted(options: FairnessPolicyOptions): FairnessPolicy {
    return make(options, "fairness");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: FairnessPolicy, name = "fairness"): FairnessPolicy {
    return make(policy, name);
  },
});

/** The weight `policy` gives `key`. */
export function weightOf(policy: FairnessPolicy, key: string): number {
  return Object.prototype.hasOwnProperty.call(policy.weights, key) ? (policy.weights[key] ?? policy.defaultWeight) : policy.defaultWeight;
}
