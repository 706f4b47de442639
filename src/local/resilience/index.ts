export {
  CountWindow,
  TimeWindow,
  slidingWindow,
  type CountWindowOptions,
  type OutcomeWindow,
  type TimeWindowOptions,
  type WindowKind,
  type WindowSnapshot,
  type WindowSpec,
} from "./window.js";
export { FailureCounter, type FailureCounterOptions, type FailureCounts } from "./failure-counter.js";
export {
  StateTransition,
  type StateTransitionOptions,
  type Transition,
  type TransitionListener,
} from "./state-transition.js";
export { Timer, type TimerOptions } from "./timer.js";
export {
  CIRCUIT_TRANSITIONS,
  CircuitBreaker,
  circuitBreaker,
  type BreakerCall,
  type CircuitBreakerOperator,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type CircuitState,
} from "./circuit-breaker.js";
export { withTimeout, type TimeoutInfo, type TimeoutKind, type WithTimeoutOptions } from "./timeout.js";
export {
  dropExpired,
  stampDeadline,
  withDeadline,
  type Deadlined,
  type ExpiredAction,
  type ExpiredValue,
  type StampDeadlineOptions,
  type WithDeadlineOptions,
} from "./with-deadline.js";
export {
  fromAbortSignal,
  takeUntilAborted,
  withAbortSignal,
  type AbortableWork,
  type CancellationLabels,
  type TakeUntilAbortedOptions,
  type WithAbortSignalOptions,
} from "./cancellation.js";
