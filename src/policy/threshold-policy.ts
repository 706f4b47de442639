import { optional, requireFinite, requireNonNegativeInteger, requireObject, requireOneOf, requirePositiveInteger } from "../atom/validate.js";

/**
 * The catalog's `ThresholdPolicy` (pure, frozen data): when the failures a
 * `FailureCounter` saw in its window mean trouble.
 *
 * - `ratio`: tripped when `failures / calls ≥ threshold` (0 < threshold ≤ 1);
 * - `count`: tripped when `failures ≥ threshold` (a positive integer);
 *
 * and in both cases only once the window holds at least `minimumCalls`
 * calls — without it the first failure after a quiet spell is a 100 %
 * failure rate and trips on noise.
 */
export interface ThresholdPolicy {
  readonly kind: "ratio" | "count";
  readonly threshold: number;
  readonly minimumCalls: number;
}

/** Options shared by both threshold kinds. */
export interface ThresholdPolicyOptions {
  /** Calls the window must hold before the policy can trip (integer ≥ 0). @default 10 for ratio, 0 for count */
  minimumCalls?: number;
}

function ratio(threshold: number, minimumCalls: number, name: string): ThresholdPolicy {
  const r = requireFinite(`${name}.threshold`, threshold);
  if (r <= 0 || r > 1) throw new RangeError(`${name}.threshold must be a ratio in (0, 1], got ${r}`);
  return Object.freeze({ kind: "ratio", threshold: r, minimumCalls: requireNonNegativeInteger(`${name}.minimumCalls`, minimumCalls) });
}

function count(threshold: number, minimumCalls: number, name: string): ThresholdPolicy {
  return Object.freeze({
    kind: "count",
    threshold: requirePositiveInteger(`${name}.threshold`, threshold),
    minimumCalls: requireNonNegativeInteger(`${name}.minimumCalls`, minimumCalls),
  });
}

export const ThresholdPolicy = Object.freeze({
  /** Trips when at least `threshold` (in (0, 1]) of the calls failed, once `minimumCalls` (default 10) were seen. */
  ratio(threshold: number, options: ThresholdPolicyOptions = {}): ThresholdPolicy {
    requireObject("options", options);
    return ratio(threshold, options.minimumCalls ?? 10, "threshold");
  },
  /** Trips when at least `threshold` calls failed, once `minimumCalls` (default 0) were seen. */
  count(threshold: number, options: ThresholdPolicyOptions = {}): ThresholdPolicy {
    requireObject("options", options);
    return count(threshold, options.minimumCalls ?? 0, "threshold");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: ThresholdPolicy, name = "threshold"): ThresholdPolicy {
    requireObject(name, policy);
    const kind = requireOneOf(`${name}.kind`, policy.kind, ["ratio", "count"] as const);
    const minimumCalls = optional(`${name}.minimumCalls`, policy.minimumCalls, requireNonNegativeInteger) ?? 0;
    return kind === "ratio" ? ratio(policy.threshold, minimumCalls, name) : count(policy.threshold, minimumCalls, name);
  },
});

/** True when `failures` out of `calls` trip `policy`. */
export function thresholdTripped(policy: ThresholdPolicy, failures: number, calls: number): boolean {
  if (calls < policy.minimumCalls || failures === 0) return false;
  return policy.kind === "count" ? failures >= policy.threshold : failures >= policy.threshold * calls;
}
