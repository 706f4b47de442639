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
  SensorDebugTap: ["SensorDebugTap", "debugTap"],
  // Durable
  Keyspace: ["Keyspace"],
  WriteAheadLog: ["WriteAheadLog"],
  EventLog: ["EventLog", "manyfold-rx/nats:NatsEventLog"],
  SnapshotStore: ["SnapshotStore"],
  CheckpointStore: ["CheckpointStore"],
  LocalDurableSpool: ["LocalDurableSpool"],
  // Application: sensor pipeline
  LocalSensorSource: ["localSensorSource"],
  ReactiveSensorSource: ["reactiveSensorSource"],
  PeripheralAdapter: ["fromPeripheral"],
  DuplexSensorPeripheral: ["duplexPeripheral"],
  SerialPortSource: ["fromSerialPort"],
  RateMatchedSensor: ["rateMatch"],
  SensorHealthWatchdog: ["sensorHealth"],
  // Across machines on NATS / JetStream (manyfold-rx/nats)
  Transport: ["manyfold-rx/nats:NatsTransport", "manyfold-rx/nats:JetStreamTransport", "manyfold-rx/nats:connectNats"],
  PubSub: ["manyfold-rx/nats:natsTransport"],
  ReplicatedLog: ["manyfold-rx/nats:NatsEventLog"],
  ConsumerGroup: ["manyfold-rx/nats:natsConsumerGroup"],
  WorkQueue: ["manyfold-rx/nats:NatsDurableQueue"],
  // the ports' NATS backends (the memory/LevelDB backends' names join these when merged)
  DurableQueue: ["manyfold-rx/nats:NatsDurableQueue"],
  VersionedRegister: ["manyfold-rx/nats:NatsVersionedRegister"],
  DeduplicationStore: ["manyfold-rx/nats:NatsDeduplicationStore"],
  IdempotencyStore: ["manyfold-rx/nats:NatsIdempotencyStore"],
};

/** The entry points whose exports `IMPLEMENTED_BY` may name with a prefix, and their sources. */
export const ENGINE_ENTRY_POINTS: Readonly<Record<string, string>> = {
  "manyfold-rx/nats": "src/engines/nats/index.ts",
};
