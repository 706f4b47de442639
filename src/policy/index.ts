export { RetryPolicy } from "./retry-policy.js";
export {
  BackoffPolicy,
  delayForAttempt,
  type ExponentialBackoffOptions,
  type Jitter,
  type JitterOptions,
} from "./backoff-policy.js";
export { OVERFLOW_POLICIES, type OverflowPolicy } from "./overflow-policy.js";
export { RatePolicy, refillPerMs, type RatePolicyOptions } from "./rate-policy.js";
export {
  ConcurrencyPolicy,
  QUEUE_OVERFLOWS,
  type ConcurrencyPolicyOptions,
  type QueueOverflow,
} from "./concurrency-policy.js";
export { PriorityPolicy, type PriorityPolicyOptions } from "./priority-policy.js";
export { FairnessPolicy, weightOf, type FairnessPolicyOptions } from "./fairness-policy.js";
export { AdmissionPolicy, type AdmissionPolicyOptions, type ShedAction } from "./admission-policy.js";
export { ThresholdPolicy, thresholdTripped, type ThresholdPolicyOptions } from "./threshold-policy.js";
export { TimeoutPolicy, type TimeoutPolicyOptions } from "./timeout-policy.js";
export {
  CancellationPolicy,
  type CancellationPolicyOptions,
  type CancellationPropagation,
} from "./cancellation-policy.js";
