import type { LegoEntry } from "../types.js";

/**
 * The seed's Workflow And Control Plane family: legos that run work to
 * completion across crashes and steer a running system towards a declared
 * state.
 */
export const APPLICATION: readonly LegoEntry[] = [
  {
    name: "Worker",
    role: "execution",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "Takes one task at a time from a WorkQueue, runs its handler, acks on success and nacks (or lets the visibility deadline lapse) on failure.",
    requires: ["WorkQueue", "Ack", "RetryLoop"],
    provides: [],
    inputs: ["tasks", "a handler"],
    outputs: ["acks and nacks", "the handler's effects"],
    state: "The task in progress.",
    failureSemantics:
      "A crash mid-task means the task runs again on another worker after its visibility deadline, so handlers must be Idempotent; a handler slower than the deadline must renew it.",
    compositionRules: "Run in numbers by WorkerPool; executes WorkflowStep actions; handlers use IdempotencyStore for effects.",
    operationalKnobs: ["handler timeout", "prefetch"],
  },
  {
    name: "WorkerPool",
    role: "execution",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "Runs N workers against a queue, scales between limits, and shuts down gracefully: it stops taking tasks, lets in-flight ones finish within a grace period, then stops.",
    requires: ["Worker", "ConcurrencyPolicy", "Semaphore"],
    provides: ["Bounded"],
    inputs: ["queue depth and load", "shutdown signal"],
    outputs: ["running workers"],
    state: "The workers and their current tasks.",
    failureSemantics:
      "Tasks still running when the grace period ends are abandoned and redelivered later; a crash-looping handler is isolated by failing its tasks to a DeadLetterQueue, not by restarting the pool.",
    compositionRules: "Shares capacity by FairnessPolicy across tenants; placed by PlacementPolicy across hosts.",
    operationalKnobs: ["minimum and maximum workers", "shutdown grace period", "scale-up threshold"],
  },
  {
    name: "WorkflowStep",
    role: "execution",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "One unit of a workflow: an idempotent action with its inputs, retry policy and timeout, whose Result is recorded so that it is never run again once it succeeded.",
    requires: ["IdempotencyStore", "Result", "RetryPolicy"],
    provides: ["Idempotent"],
    inputs: ["the step's inputs, derived from earlier steps' results"],
    outputs: ["a recorded result"],
    state: "The recorded result, or the attempt in progress.",
    failureSemantics:
      "A crash after the action but before its result is recorded repeats the action, which is why each step must be idempotent (keyed by workflow id and step name).",
    compositionRules: "Sequenced by Workflow; undone by a Compensation in a Saga; executed by Worker.",
    operationalKnobs: ["retry policy", "timeout"],
  },
  {
    name: "Workflow",
    role: "execution",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "Runs a multi-step process durably: each step's completion is recorded in an EventLog, so after a crash the workflow resumes at the first unfinished step instead of starting over.",
    requires: ["WorkflowStep"],
    provides: ["Durable", "Replayable"],
    inputs: ["a workflow definition and its input"],
    outputs: ["the final result", "per-step history"],
    state: "The event history of each instance and its checkpoint.",
    failureSemantics:
      "Workflow code that decides what to do next must be Deterministic, or replaying its history after a crash takes a different path than the original run did.",
    compositionRules: "Steps run on Workers through a DurableQueue; a Saga adds compensations; Reconciler is the level-triggered alternative for long-lived goals.",
    operationalKnobs: ["step timeouts", "history retention", "maximum instance duration"],
    parts: ["EventLog", "DurableQueue", "CheckpointStore", "IdempotencyStore", "RetryLoop"],
  },
  {
    name: "Saga",
    role: "recovery",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "A long-running transaction across services as a sequence of local steps, each paired with a compensating step; if a step fails, the compensations of the completed steps run in reverse order.",
    requires: ["Workflow", "Compensation"],
    provides: [],
    inputs: ["steps with their compensations"],
    outputs: ["completed, or compensated"],
    state: "Which steps completed, from the workflow history.",
    failureSemantics:
      "Offers no isolation: other transactions see intermediate states, and a compensation that itself fails must be retried until it succeeds or escalated to a person.",
    compositionRules: "Built on Workflow; steps publish through Outbox; compensations are WorkflowSteps too.",
    operationalKnobs: ["compensation retry policy"],
  },
  {
    name: "Compensation",
    role: "recovery",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract: "A semantic undo of a completed step (refund the charge, release the reservation, send the correction) rather than a rollback.",
    requires: ["WorkflowStep"],
    provides: [],
    inputs: ["the result of the step to undo"],
    outputs: ["a compensating effect"],
    state: "None beyond its own step record.",
    failureSemantics:
      "It cannot un-happen what others already saw (an email was read); it must be idempotent and retried until it succeeds, since giving up leaves the system inconsistent.",
    compositionRules: "Paired with each forward step of a Saga; triggered under a CancellationPolicy on cancel.",
    operationalKnobs: [],
  },
  {
    name: "DesiredState",
    role: "control",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "The declared target of a system (what should run, with which settings), versioned and written by people or automation, never by the component that realises it.",
    requires: ["Version", "MetadataStore"],
    provides: [],
    inputs: ["declarations from users or automation"],
    outputs: ["the current target with its version (generation)"],
    state: "The declaration and its version.",
    failureSemantics:
      "Concurrent edits must be versioned (conditional writes) or one silently overwrites the other; an invalid declaration is rejected when written, not discovered by the reconciler.",
    compositionRules: "Read by Reconciler and RolloutController; stored in MetadataStore.",
    operationalKnobs: [],
  },
  {
    name: "ObservedState",
    role: "observability",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "What a system actually is right now as last reported, with when it was observed and which DesiredState generation it reflects.",
    requires: ["Status", "Timestamp", "Generation"],
    provides: [],
    inputs: ["reports from the running system"],
    outputs: ["status, observedAt and observed generation"],
    state: "The last report.",
    failureSemantics:
      "Reports are late and can be lost; a reconciler must treat an old observation as unknown rather than as proof that the system is fine.",
    compositionRules: "Compared with DesiredState by Reconciler; health parts come from HealthStatus and MetricSample.",
    operationalKnobs: ["report interval", "staleness limit"],
  },
  {
    name: "Reconciler",
    role: "control",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "Repeatedly compares DesiredState with ObservedState and takes the next step to close the gap; it is level-triggered, so a missed event is corrected on the next pass.",
    requires: ["DesiredState", "ObservedState", "RetryLoop", "Timer"],
    provides: [],
    inputs: ["desired and observed state", "change notifications and a periodic resync"],
    outputs: ["corrective actions", "status on the observed state"],
    state: "Little or none: it recomputes from desired and observed state each pass, which is what makes it robust.",
    failureSemantics:
      "Actions must be idempotent, because a crash between acting and observing the result makes the next pass act again; two reconcilers on one object need a Lease or they fight.",
    compositionRules: "Drives DuplexSensorPeripheral controls, RolloutController stages and Rebalancer plans; retried with backoff through RetryLoop.",
    operationalKnobs: ["resync interval", "backoff per object", "concurrency"],
  },
  {
    name: "FeatureFlag",
    role: "control",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "A named runtime switch, boolean or variant, possibly per tenant or by percentage, evaluated at decision points without redeploying.",
    requires: ["MetadataStore"],
    provides: [],
    inputs: ["flag rules", "evaluation context (tenant, user, device)"],
    outputs: ["the flag's value for that context"],
    state: "Cached flag rules.",
    failureSemantics:
      "When rules cannot be fetched, evaluation falls back to each flag's coded default, so defaults must be the safe choice; flags left in place for years become untested code paths.",
    compositionRules: "Stages RolloutController; KillSwitch is a flag built for emergencies.",
    operationalKnobs: ["default value", "cache TTL", "percentage rollout"],
  },
  {
    name: "RolloutController",
    role: "control",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "Moves a change out in stages (canary, then growing percentages), watching health signals at each stage: it advances when healthy and rolls back when not.",
    requires: ["FeatureFlag", "DesiredState", "Reconciler", "MetricSample"],
    provides: [],
    inputs: ["the change to roll out", "health and metric signals"],
    outputs: ["stage changes", "rollback decisions"],
    state: "The current stage and when it started.",
    failureSemantics:
      "It only catches what its metrics measure; a change that breaks something unmeasured rolls out fully. Rollback must itself be a tested, fast path.",
    compositionRules: "Uses FeatureFlag percentages, HealthStatus and MetricSample; KillSwitch is its emergency brake.",
    operationalKnobs: ["stage sizes", "bake time per stage", "health thresholds"],
  },
  {
    name: "KillSwitch",
    role: "control",
    layer: "application",
    families: ["Workflow And Control Plane"],
    contract:
      "An emergency off switch for a feature or traffic path that takes effect quickly everywhere, independent of deploys.",
    requires: ["FeatureFlag"],
    provides: [],
    inputs: ["an operator's decision"],
    outputs: ["the feature disabled"],
    state: "On or off.",
    failureSemantics:
      "Useful only if the off path is tested and the switch's state is read with a short cache; if its store is unreachable, components keep the last known value rather than flipping on their own.",
    compositionRules: "A FeatureFlag reserved for emergencies; RolloutController may flip it on a failed stage.",
    operationalKnobs: ["propagation delay (cache TTL)"],
  },
];
