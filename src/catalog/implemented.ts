/**
 * Which catalog legos this library implements, and by which package-root
 * value exports (for a type-only lego, its validating constructor or guard).
 * This map is the only source of `Lego.implementedBy`; a test resolves every
 * name against `src/index.ts`, so an entry here is a promise the package
 * keeps.
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
  // Policies
  RetryPolicy: ["RetryPolicy"],
  BackoffPolicy: ["BackoffPolicy"],
  OverflowPolicy: ["OVERFLOW_POLICIES"],
  // Local runtime
  Clock: ["isClock"],
  SystemClock: ["systemClock"],
  ManualClock: ["ManualClock"],
  Backoff: ["delayForAttempt"],
  RetryLoop: ["retryWithBackoff", "retryLoop", "retryRunner"],
  SequenceCounter: ["SequenceCounter"],
  RingBuffer: ["BoundedRingBuffer"],
  BoundedRingBuffer: ["BoundedRingBuffer"],
  Schema: ["jsonCodec", "numberCodec", "stringCodec", "bytesCodec", "sensorSampleCodec", "sensorEventCodec", "healthStatusCodec"],
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
  // Durable
  Keyspace: ["Keyspace"],
  WriteAheadLog: ["WriteAheadLog"],
  EventLog: ["EventLog"],
  SnapshotStore: ["SnapshotStore"],
  CheckpointStore: ["CheckpointStore"],
  LocalDurableSpool: ["LocalDurableSpool"],
  // Durable: handoff (DurableQueue and its parts, presets, workers)
  DurableQueue: ["MemoryDurableQueue", "LevelDurableQueue", "DurableQueueBase"],
  AckTracker: ["AckTracker"],
  VisibilityDeadline: ["VisibilityDeadline"],
  DeadLetterQueue: ["DeadLetterQueue"],
  RetryQueue: ["retryQueue"],
  DelayQueue: ["delayQueue"],
  PriorityQueue: ["priorityQueue"],
  WorkQueue: ["workQueue"],
  Worker: ["work"],
  WorkerPool: ["workerPool"],
  VersionedRegister: ["MemoryVersionedRegister", "LevelVersionedRegister"],
  DurableCell: ["DurableCell"],
  IdempotencyStore: ["MemoryIdempotencyStore", "LevelIdempotencyStore"],
  DeduplicationStore: ["MemoryDeduplicationStore", "LevelDeduplicationStore", "dedupe"],
  TombstoneStore: ["TombstoneStore"],
  MetadataStore: ["MetadataStore"],
  MaterializedView: ["MaterializedView"],
  // Communication and handoff
  Outbox: ["Outbox"],
  Inbox: ["inbox"],
  Transport: ["InProcessTransport"],
  PubSub: ["InProcessTransport"],
  // Application: sensor pipeline
  LocalSensorSource: ["localSensorSource"],
  ReactiveSensorSource: ["reactiveSensorSource"],
  PeripheralAdapter: ["fromPeripheral"],
  DuplexSensorPeripheral: ["duplexPeripheral"],
  SerialPortSource: ["fromSerialPort"],
  RateMatchedSensor: ["rateMatch"],
  SensorHealthWatchdog: ["sensorHealth"],
};
