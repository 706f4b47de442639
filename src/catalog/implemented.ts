/**
 * Which catalog legos this library implements, and by which package-root
 * value exports (for a type-only lego, its validating constructor or guard).
 * This map is the only source of `Lego.implementedBy`; a test resolves every
 * name against `src/index.ts`, so an entry here is a promise the package
 * keeps. A name of an engine entry point carries it as a prefix
 * (`manyfold-rx/nats:NatsEventLog`), since the root does not import engine
 * clients (optional peer dependencies).
 */
export const IMPLEMENTED_BY: Readonly<Record<string, readonly string[]>> = {
  // Atoms
  Error: ["LegoError", "isLegoError"],
  SensorSample: ["sensorSample", "isSensorSample"],
  SensorEvent: ["sensorEvent", "isSensorEvent"],
  HealthStatus: ["healthStatus"],
  SensorIdentity: ["sensorIdentity"],
  SensorTag: ["sensorTag"],
  SensorLocation: ["sensorLocation"],
  Deadline: ["Deadline", "deadline", "isDeadline", "stampDeadline", "withDeadline", "dropExpired"],
  TTL: ["TTL", "ttl"],
  // Policies
  RetryPolicy: ["RetryPolicy"],
  BackoffPolicy: ["BackoffPolicy"],
  OverflowPolicy: ["OVERFLOW_POLICIES"],
  RatePolicy: ["RatePolicy"],
  ConcurrencyPolicy: ["ConcurrencyPolicy"],
  PriorityPolicy: ["PriorityPolicy"],
  FairnessPolicy: ["FairnessPolicy", "WeightedFairQueue", "fairQueue"],
  AdmissionPolicy: ["AdmissionPolicy", "AdmissionQueue", "admission"],
  ThresholdPolicy: ["ThresholdPolicy", "thresholdTripped"],
  TimeoutPolicy: ["TimeoutPolicy"],
  CancellationPolicy: ["CancellationPolicy"],
  // Local runtime
  Clock: ["isClock"],
  SystemClock: ["systemClock"],
  ManualClock: ["ManualClock"],
  Backoff: ["delayForAttempt"],
  RetryLoop: ["retryWithBackoff", "retryLoop", "retryRunner"],
  SequenceCounter: ["SequenceCounter"],
  RingBuffer: ["BoundedRingBuffer"],
  BoundedRingBuffer: ["BoundedRingBuffer"],
  Schema: ["jsonCodec", "fastJsonCodec", "numberCodec", "stringCodec", "bytesCodec", "sensorSampleCodec", "sensorEventCodec", "healthStatusCodec"],
  Graph: ["PipelineGraph", "pipeline"],
  Watchdog: ["Watchdog", "watchdog"],
  ChangeFilter: ["ChangeFilter", "changeFilter"],
  ThresholdFilter: ["ThresholdFilter", "thresholdFilter"],
  DelimitedMessageBuffer: ["DelimitedMessageBuffer", "delimited"],
  JsonEventDecoder: ["JsonEventDecoder", "decodeJsonEvents"],
  DoubleBuffer: ["DoubleBuffer", "doubleBuffer"],
  FrameAssembler: ["FrameAssembler", "assembleFrames"],
  XorChecksum: ["xorChecksum"],
  // Framing (project legos)
  LengthPrefixedFramer: ["LengthPrefixedFramer", "lengthPrefixed"],
  IdleGapFramer: ["IdleGapFramer", "idleGap"],
  FixedLengthFramer: ["FixedLengthFramer", "fixedLength"],
  PatternFramer: ["PatternFramer", "splitOn"],
  ReadyGate: ["ReadyGate", "awaitReady"],
  SensorDebugTap: ["SensorDebugTap", "debugTap"],
  // Flow control
  Cost: ["Cost"],
  TokenBucket: ["TokenBucket"],
  RateLimiter: ["rateLimit"],
  Semaphore: ["Semaphore", "bulkhead"],
  Buffer: ["BoundedRingBuffer", "BoundedQueue"],
  Queue: ["BoundedQueue", "boundedQueue"],
  BoundedQueue: ["BoundedQueue", "boundedQueue"],
  Mailbox: ["Mailbox", "mailbox"],
  FlowControl: ["creditFlow"],
  Sampler: ["Sampler", "sampler"],
  // Local runtime: resilience (CircuitBreaker = FailureCounter + Window + ThresholdPolicy + Timer + StateTransition)
  Window: ["CountWindow", "TimeWindow", "slidingWindow"],
  FailureCounter: ["FailureCounter"],
  StateTransition: ["StateTransition"],
  Timer: ["Timer"],
  CircuitBreaker: ["CircuitBreaker", "circuitBreaker"],
  Timeout: ["withTimeout"],
  Cancellation: ["fromAbortSignal", "takeUntilAborted", "withAbortSignal"],
  // Durable
  Keyspace: ["Keyspace"],
  WriteAheadLog: ["WriteAheadLog"],
  EventLog: ["EventLog", "manyfold-rx/nats:NatsEventLog"],
  SnapshotStore: ["SnapshotStore"],
  CheckpointStore: ["CheckpointStore"],
  LocalDurableSpool: ["LocalDurableSpool"],
  // Durable: handoff (DurableQueue and its parts, presets, workers)
  DurableQueue: ["MemoryDurableQueue", "LevelDurableQueue", "DurableQueueBase", "manyfold-rx/nats:NatsDurableQueue"],
  AckTracker: ["AckTracker"],
  VisibilityDeadline: ["VisibilityDeadline"],
  DeadLetterQueue: ["DeadLetterQueue"],
  RetryQueue: ["retryQueue"],
  DelayQueue: ["delayQueue"],
  PriorityQueue: ["priorityQueue"],
  WorkQueue: ["workQueue", "manyfold-rx/nats:NatsDurableQueue"],
  Worker: ["work"],
  WorkerPool: ["workerPool"],
  VersionedRegister: ["MemoryVersionedRegister", "LevelVersionedRegister", "manyfold-rx/nats:NatsVersionedRegister"],
  DurableCell: ["DurableCell"],
  IdempotencyStore: ["MemoryIdempotencyStore", "LevelIdempotencyStore", "manyfold-rx/nats:NatsIdempotencyStore"],
  DeduplicationStore: ["MemoryDeduplicationStore", "LevelDeduplicationStore", "dedupe", "manyfold-rx/nats:NatsDeduplicationStore"],
  TombstoneStore: ["TombstoneStore"],
  MetadataStore: ["MetadataStore"],
  MaterializedView: ["MaterializedView"],
  // Communication and handoff
  Outbox: ["Outbox", "confirmByReceipt"],
  Inbox: ["inbox", "sendReceipts"],
  Transport: [
    "InProcessTransport",
    "manyfold-rx/nats:NatsTransport",
    "manyfold-rx/nats:JetStreamTransport",
    "manyfold-rx/nats:connectNats",
    "manyfold-rx/mqtt:MqttTransport",
    "manyfold-rx/mqtt:connectMqtt",
    "manyfold-rx/mqtt:fromMqtt",
    "manyfold-rx/mqtt:toMqtt",
  ],
  PubSub: ["InProcessTransport", "manyfold-rx/nats:natsTransport", "manyfold-rx/mqtt:fromMqtt"],
  Bridge: ["Outbox", "manyfold-rx/mqtt:MqttTransport", "manyfold-rx/nats:JetStreamTransport"],
  // Across machines: NATS / JetStream
  ReplicatedLog: ["manyfold-rx/nats:NatsEventLog"],
  ConsumerGroup: ["manyfold-rx/nats:natsConsumerGroup", "manyfold-rx/mqtt:fromMqtt"],
  // Distributed: coordination on the ports
  FencingToken: ["fencingToken", "isFencingToken", "FencingGuard", "fence", "fencedRegister"],
  Lease: ["lease", "LeaseMachine"],
  LeaderElection: ["leaderElection"],
  Heartbeat: ["heartbeat"],
  Membership: ["membership"],
  FailureDetector: ["FailureDetector", "failureDetector", "phi"],
  Quorum: ["quorumSize", "hasQuorum", "faultTolerance", "isStrictQuorum", "QuorumTally"],
  // Application: sensor pipeline
  LocalSensorSource: ["localSensorSource"],
  ReactiveSensorSource: ["reactiveSensorSource"],
  PeripheralAdapter: ["fromPeripheral"],
  DuplexSensorPeripheral: ["duplexPeripheral"],
  SerialPortSource: ["fromSerialPort"],
  RateMatchedSensor: ["rateMatch"],
  SensorHealthWatchdog: ["sensorHealth"],
  // Application: control plane
  FeatureFlag: ["FeatureFlag", "featureFlag"],
  KillSwitch: ["killSwitch"],
};

/** The entry points whose exports `IMPLEMENTED_BY` may name with a prefix, and their sources. */
export const ENGINE_ENTRY_POINTS: Readonly<Record<string, string>> = {
  "manyfold-rx/nats": "src/engines/nats/index.ts",
  "manyfold-rx/mqtt": "src/engines/mqtt/index.ts",
};
