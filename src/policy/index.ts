export { RetryPolicy } from "./retry-policy.js";
export {
  BackoffPolicy,
  delayForAttempt,
  type ExponentialBackoffOptions,
  type Jitter,
  type JitterOptions,
} from "./backoff-policy.js";
export { OVERFLOW_POLICIES, type OverflowPolicy } from "./overflow-policy.js";
