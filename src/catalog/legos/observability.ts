import type { LegoEntry } from "../types.js";

/**
 * The records of the seed's Observability family (HealthStatus,
 * SensorDebugTap, Watchdog, Status and Error are with their own kind).
 * They are `atom`s for the same reason as the sensor data types: immutable
 * records of atoms, no behaviour.
 */
export const OBSERVABILITY: readonly LegoEntry[] = [
  {
    name: "LogEvent",
    role: "observability",
    layer: "atom",
    families: ["Observability"],
    contract:
      "One structured log record: timestamp, level, message, the emitting component (and its group) and correlation fields such as TraceId and RequestId, as key-value data rather than free text.",
    requires: ["Timestamp", "TraceId", "CorrelationId"],
    provides: [],
    inputs: ["a component's notable event"],
    outputs: ["a structured record for a log pipeline"],
    state: "None: a record.",
    failureSemantics:
      "Logging is best effort: a full log buffer drops records rather than blocking the work being logged, and secrets (tokens, payloads) must never be written into one.",
    compositionRules: "Carries Error codes and group labels; joined to TraceSpan by TraceId; shipped with BestEffort delivery.",
    operationalKnobs: ["level threshold", "sampling of noisy events"],
  },
  {
    name: "MetricSample",
    role: "observability",
    layer: "atom",
    families: ["Observability"],
    contract:
      "One measurement of a named metric at a time: a counter, gauge or histogram value with dimension labels (group, kind), such as a lego's dropped counter read at a moment.",
    requires: ["Timestamp"],
    provides: [],
    inputs: ["counters and gauges read from components (lego descriptors' counters)"],
    outputs: ["a time-series point"],
    state: "None: a record.",
    failureSemantics:
      "Counters are cumulative, so a lost sample loses resolution, not totals; a counter that resets on restart must be recognised as a reset, not a negative rate. Unbounded label values explode the number of series.",
    compositionRules: "Read from lego counters and Graph views; watched by RolloutController and ThresholdPolicy-style alerts.",
    operationalKnobs: ["scrape or push interval", "allowed label set"],
  },
  {
    name: "TraceSpan",
    role: "observability",
    layer: "atom",
    families: ["Observability"],
    contract:
      "One timed operation in a distributed trace: TraceId, SpanId, parent SpanId, name, start Timestamp, Duration, status and attributes.",
    requires: ["TraceId", "SpanId", "Timestamp", "Duration", "Status"],
    provides: [],
    inputs: ["the start and end of an operation", "the incoming trace context"],
    outputs: ["a span for the tracing backend"],
    state: "None once ended; an open span holds its start time.",
    failureSemantics:
      "Spans are sampled and shipped best effort, so a trace can have holes; a span never ended (crash) never appears, and clock skew between hosts makes child spans look misplaced.",
    compositionRules: "Linked by TraceId to LogEvent; one per Transport request or Workflow step.",
    operationalKnobs: ["sampling rate", "attribute limits"],
  },
  {
    name: "AuditRecord",
    role: "security",
    layer: "atom",
    families: ["Observability"],
    contract:
      "An append-only record of who did what to which resource and when, with the authorization decision, kept for accountability rather than debugging.",
    requires: ["PrincipalId", "Timestamp"],
    provides: [],
    inputs: ["security-relevant actions and decisions"],
    outputs: ["a tamper-evident record"],
    state: "None: a record; the audit log keeps them.",
    failureSemantics:
      "Unlike logs, audit records must not be dropped: if they cannot be written, the audited action should fail; sign or hash-chain them so tampering shows.",
    compositionRules: "Written on AuthPolicy decisions; stored in an EventLog with a long RetentionPolicy; protected with Sign.",
    operationalKnobs: ["retention", "which actions are audited"],
  },
  {
    name: "LineageRecord",
    role: "observability",
    layer: "atom",
    families: ["Observability"],
    contract:
      "Records that an output was derived from specific inputs by a specific step (ids of inputs, step, version), so any result can be traced back to its sources.",
    requires: ["CausalityId", "MessageId", "Version"],
    provides: [],
    inputs: ["input ids and the transformation that used them"],
    outputs: ["a derivation edge"],
    state: "None: a record.",
    failureSemantics:
      "Lineage recorded separately from the output can go missing on a crash; record it with the output when provenance is a requirement.",
    compositionRules: "The upstreamIds of SensorDebugTap envelopes are lineage; built from CausalityId; helps audit MaterializedView and frame assembly outputs.",
    operationalKnobs: ["granularity (per item or per batch)"],
  },
];
