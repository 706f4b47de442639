export { RetryPolicy } from "./retry-policy.js";
export {
  BackoffPolicy,
  delayForAttempt,
  type ExponentialBackoffOptions,
  type Jitter,
  type JitterOptions,
} from "./backoff-policy.js";
export { OVERFLOW_POLICIES, type OverflowPolicy } from "./overflow-policy.js";
export { ThresholdPolicy, thresholdTripped, type ThresholdPolicyOptions } from "./threshold-policy.js";
export { TimeoutPolicy, type TimeoutPolicyOptions } from "./timeout-policy.js";
export {
  CancellationPolicy,
  type CancellationPolicyOptions,
  type CancellationPropagation,
} from "./cancellation-policy.js";
