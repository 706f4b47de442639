export {
  sensorIdentity,
  sensorLocation,
  sensorTag,
  type SensorIdentity,
  type SensorIdentityInit,
  type SensorLocation,
  type SensorLocationInit,
  type SensorTag,
  type SensorTagInit,
} from "./sensor-identity.js";
export { isSensorSample, sensorSample, type SensorSample, type SensorSampleInit } from "./sensor-sample.js";
export { isSensorEvent, sensorEvent, type SensorEvent, type SensorEventInit } from "./sensor-event.js";
export { HEALTH_STATES, healthStatus, type HealthState, type HealthStatus, type HealthStatusInit } from "./health-status.js";
export { healthStatusCodec, sensorEventCodec, sensorSampleCodec } from "./sensor-codecs.js";
export {
  isPeripheralEnvelope,
  peripheralInfoOf,
  type CallbackObservable,
  type CallbackObserver,
  type Disposable,
  type Peripheral,
  type PeripheralEnvelope,
  type PeripheralInfo,
  type PeripheralLocation,
  type PeripheralStream,
} from "./peripheral.js";
export {
  isSensorReading,
  sensorReading,
  SensorReading,
  type InvalidSourceItem,
  type InvalidSourceItemReason,
  type SourceDebugTapOption,
} from "./sensor-reading.js";
export {
  fromPeripheral,
  PeripheralPayloads,
  type PeripheralAdapterOptions,
  type PeripheralData,
  type PeripheralPayload,
  type PeripheralPayloadsOptions,
} from "./peripheral-adapter.js";
export { duplexPeripheral, type ControlInput, type DuplexSensorPeripheralOptions } from "./duplex-sensor-peripheral.js";
export { reactiveSensorSource, type ReactiveSensorSource, type ReactiveSensorSourceOptions } from "./reactive-sensor-source.js";
export {
  fromSerialPort,
  serialOpenFailureReason,
  type SerialBinding,
  type SerialBindingPort,
  type SerialLineSettings,
  type SerialOpenFailureReason,
  type SerialOpenOptions,
  type SerialPortControls,
  type SerialPortEvent,
  type SerialPortSource,
  type SerialPortSourceOptions,
} from "./serial-port-source.js";
export {
  localSensorSource,
  LocalSensorSampler,
  type LocalSensorRead,
  type LocalSensorSource,
  type LocalSensorSourceOptions,
  type ReadErrorMode,
} from "./local-sensor-source.js";
export {
  JsonEventDecoder,
  decodeJsonEvents,
  type DecodeJsonEventsOptions,
  type InvalidJsonEvent,
  type JsonEventDecoderOptions,
  type JsonEventInvalidReason,
  type JsonEventMessage,
} from "./json-event-decoder.js";
export {
  DEBUG_STAGES,
  SensorDebugTap,
  debugTap,
  type DebugEnvelope,
  type DebugPublication,
  type DebugSnapshotFilter,
  type DebugStage,
  type DebugTapOptions,
  type SensorDebugTapOptions,
} from "./sensor-debug-tap.js";
export { sensorHealth, type SensorHealthOptions } from "./sensor-health.js";
