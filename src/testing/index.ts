/**
 * `manyfold-rx/testing`: the kit users test their pipelines with — marble
 * helpers on RxJS's TestScheduler, a scripted Heart-style peripheral, and a
 * scriptable serial device behind a real serial path.
 */
export { createTestScheduler, marbles, stripErrors, type ErrorShape, type MarbleHelpers, type MarbleOptions } from "./marbles.js";
export {
  fakePeripheral,
  type FakePeripheral,
  type FakePeripheralCalls,
  type FakePeripheralOptions,
} from "./fake-peripheral.js";
export {
  simulatedSerialDevice,
  socatAvailable,
  type DeviceReply,
  type DeviceStep,
  type ReceivedCommand,
  type SentRecord,
  type SimulatedSerialDevice,
  type SimulatedSerialDeviceOptions,
  type UnplugRecord,
} from "./simulated-serial-device.js";
export type { BackendFactory, ConformanceRunner } from "./conformance/runner.js";
export { durableQueueConformance, type DurableQueueFactory, type DurableQueueTestOptions } from "./conformance/durable-queue.js";
export { freeLoopbackPort, startMosquitto, type MosquittoBroker, type MosquittoOptions } from "./mosquitto.js";
export { transportConformance, type TransportConformanceOptions } from "./conformance/transport.js";
export {
  deduplicationStoreConformance,
  type DeduplicationStoreConformanceOptions,
  type DeduplicationStoreTestOptions,
} from "./conformance/deduplication-store.js";
export {
  idempotencyStoreConformance,
  type IdempotencyStoreConformanceOptions,
  type IdempotencyStoreTestOptions,
} from "./conformance/idempotency-store.js";
export { versionedRegisterConformance, type VersionedRegisterConformanceOptions } from "./conformance/versioned-register.js";
export { eventLogConformance, type EventLogConformanceOptions } from "./conformance/event-log.js";
export {
  natsServerAvailable,
  natsServerVersion,
  startNatsCluster,
  startNatsServer,
  type NatsCluster,
  type NatsClusterOptions,
  type NatsServer,
  type NatsServerOptions,
} from "./nats-server.js";
export {
  LAWS,
  associative,
  atLeastOnce,
  atMostOnce,
  authenticated,
  bestEffort,
  bounded,
  commutative,
  deterministic,
  durable,
  exactlyOnceEffect,
  fenced,
  idempotent,
  laws,
  monotonic,
  observable,
  ordered,
  replayable,
  runInVirtualTime,
  type LawOptions,
  type LawReport,
  type Recorded,
  type ReplayableStore,
} from "./laws.js";
