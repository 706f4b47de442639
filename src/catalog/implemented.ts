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
  SensorDebugTap: ["SensorDebugTap", "debugTap"],
  // Durable
  Keyspace: ["Keyspace"],
  WriteAheadLog: ["WriteAheadLog"],
  EventLog: ["EventLog"],
  SnapshotStore: ["SnapshotStore"],
  CheckpointStore: ["CheckpointStore"],
  LocalDurableSpool: ["LocalDurableSpool"],
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
};
