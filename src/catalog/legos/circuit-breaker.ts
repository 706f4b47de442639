import type { LegoEntry } from "../types.js";

/**
 * The seed's `CircuitBreaker = FailureCounter + Window + ThresholdPolicy +
 * Timer + StateTransition` and the parts it introduces (ThresholdPolicy is
 * with the policies). No family lists these names; they carry the
 * breaker as their group.
 */
export const CIRCUIT_BREAKER: readonly LegoEntry[] = [
  {
    name: "Window",
    role: "processing",
    layer: "local",
    families: [],
    group: "CircuitBreaker",
    contract:
      "Groups a stream's recent history by time or by count (tumbling, sliding or session windows), so an aggregate covers exactly the last N items or T ms.",
    requires: ["Clock"],
    provides: [],
    inputs: ["timestamped items or outcomes"],
    outputs: ["per-window aggregates, updated as the window moves"],
    state: "The items, or per-bucket aggregates, inside the current window.",
    failureSemantics:
      "Items older than the window are dropped or land in a window that already closed; windows keyed on event time need a watermark to know when a window is complete.",
    compositionRules: "Feeds FailureCounter in CircuitBreaker; also the basis of rolling MetricSample aggregates and sliding-log rate limits.",
    operationalKnobs: ["size (ms or items)", "slide", "number of buckets"],
  },
  {
    name: "FailureCounter",
    role: "recovery",
    layer: "local",
    families: [],
    group: "CircuitBreaker",
    contract: "Counts the outcomes (success, failure, slow) of recent calls to one dependency within a Window, for a breaker to judge.",
    requires: ["Window"],
    provides: [],
    inputs: ["the outcome of each call"],
    outputs: ["failure and call counts over the window"],
    state: "Success and failure counts per window bucket.",
    failureSemantics:
      "It only counts what callers report: a call that hangs must be reported as a failure when its Timeout fires, or a hanging dependency never trips the breaker.",
    compositionRules: "Read by ThresholdPolicy inside CircuitBreaker; reset when the breaker closes.",
    operationalKnobs: ["which errors count as failures", "slow-call duration"],
  },
  {
    name: "StateTransition",
    role: "control",
    layer: "local",
    families: [],
    group: "CircuitBreaker",
    contract:
      "The explicit state machine of a component, such as closed → open → half-open → closed for a breaker: only listed transitions are allowed, and each one is reported with when it happened.",
    requires: ["Status", "Timestamp"],
    provides: ["Observable"],
    inputs: ["events that request a transition"],
    outputs: ["the new state and a transition event"],
    state: "The current state and when it was entered.",
    failureSemantics:
      "An unlisted transition is a bug to reject loudly; a timer-driven transition must check the current state first, so a late timer cannot reopen a breaker that has meanwhile closed.",
    compositionRules: "Drives CircuitBreaker; the same pattern appears in Watchdog's alive/not-alive states and HealthStatus ok/stale/error.",
    operationalKnobs: [],
  },
  {
    name: "CircuitBreaker",
    role: "recovery",
    layer: "local",
    families: [],
    contract:
      "Stops calling a failing dependency: when the failures counted in its Window cross the ThresholdPolicy it opens and fails calls immediately; after a cool-down Timer it half-opens and lets a few trial calls through, closing again if they succeed and reopening if they fail.",
    requires: [],
    provides: ["Bounded"],
    inputs: ["calls to protect and their outcomes"],
    outputs: ["the call's result, or an immediate open-circuit error", "state transitions"],
    state: "Closed, open or half-open, with the failure counts and the cool-down deadline.",
    failureSemantics:
      "While open, callers get an immediate error instead of a timeout (fast failure is the point); each process sees only its own traffic, so breakers across a fleet open and close at different times.",
    compositionRules: "Outside RetryLoop (so retries stop while the dependency is down); report its state through HealthStatus.",
    operationalKnobs: ["failure threshold", "window size", "minimum calls", "open duration ms", "trial calls when half-open"],
    parts: ["FailureCounter", "Window", "ThresholdPolicy", "Timer", "StateTransition"],
  },
];
