export { TokenBucket, type TokenBucketOptions } from "./token-bucket.js";
export { Cost, type InvalidCostReason, type InvalidItem } from "./cost.js";
export {
  rateLimit,
  type DelayQueueOverflow,
  type RateLimitOperator,
  type RateLimitOptions,
  type RateLimitStatus,
  type RateOverflow,
} from "./rate-limit.js";
export { Semaphore, type AcquireResult, type SemaphoreOptions } from "./semaphore.js";
export { bulkhead, type BulkheadOptions } from "./bulkhead.js";
export {
  BoundedQueue,
  boundedQueue,
  type BoundedQueueOperator,
  type BoundedQueueOperatorOptions,
  type BoundedQueueOptions,
  type QueueOfferResult,
} from "./bounded-queue.js";
export {
  WeightedFairQueue,
  fairQueue,
  type FairKey,
  type FairQueueOptions,
  type WeightedFairQueueOptions,
} from "./fair-queue.js";
export {
  AdmissionQueue,
  admission,
  type AdmissionOptions,
  type AdmissionQueueOptions,
  type AdmissionResult,
} from "./admission.js";
export { Mailbox, mailbox, type MailboxOperatorOptions, type MailboxOptions, type PostResult } from "./mailbox.js";
export { creditFlow, type CreditFlowOptions } from "./credit-flow.js";
export { Sampler, sampler, type SamplePick, type SamplerOperatorOptions, type SamplerOptions } from "./sampler.js";
export { killSwitch, type KillAction, type KillSwitchOptions } from "./kill-switch.js";
export { FeatureFlag, featureFlag, type FeatureFlagOptions } from "./feature-flag.js";
