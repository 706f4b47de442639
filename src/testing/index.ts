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
