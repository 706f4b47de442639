import type { LegoEntry } from "../types.js";

/**
 * The sensor legos of the seed's dependency graph and Local Sensor IO slice,
 * plus the names this project adds (SensorTag, SensorLocation,
 * SerialPortSource).
 *
 * Layers: the sensor data types (SensorSample, SensorEvent, HealthStatus,
 * SensorIdentity, SensorTag, SensorLocation) are `atom`s. They are immutable
 * records with a validating constructor and no behaviour or state, built
 * only from other atoms; everything above them uses them, and calling them
 * `local` would suggest a runtime part they do not have. The sources and
 * adapters are `application`: the seed names "sensor pipeline" as an
 * application-layer concern, and each one assembles local legos (clock,
 * retry loop, counter, buffer) into a device-facing pipeline stage.
 * `Peripheral` (the structural device interface) and `SensorDebugTap` (an
 * in-process bounded history) are `local`.
 */
export const SENSOR: readonly LegoEntry[] = [
  {
    name: "SensorSample",
    role: "data",
    layer: "atom",
    families: ["Sensor IO"],
    contract:
      "One reading of a sensor: { value, sourceTimestamp, ingestTimestamp, sequenceNumber, quality?, status? }. sensorSample(…) validates the fields and isSensorSample(v) recognises one; sensorSampleCodec(valueCodec) gives its wire form.",
    requires: ["Timestamp", "SequenceNumber"],
    provides: [],
    inputs: ["a value with its timestamps and sequence number"],
    outputs: ["a validated, immutable sample"],
    state: "None: a record.",
    failureSemantics:
      "The constructor throws TypeError or RangeError naming the bad field (a null where a number belongs, a non-finite timestamp); sources never throw into the stream for a bad value: they drop it, count it invalid and report it.",
    compositionRules: "Emitted by LocalSensorSource and ReactiveSensorSource (wrapSample), by PeripheralAdapter with wrapSample; stored by LocalDurableSpool with sensorSampleCodec.",
    operationalKnobs: ["value codec of its wire form"],
  },
  {
    name: "SensorEvent",
    role: "data",
    layer: "atom",
    families: ["Sensor IO"],
    contract:
      "A discrete occurrence reported by a device: { eventType, data, observedAt, identity, sequenceNumber?, raw?, metadata }. sensorEvent(…) validates it; sensorEventCodec() encodes it as compact JSON with snake_case keys, and bytes anywhere in data survive a round trip.",
    requires: ["SensorIdentity", "Timestamp", "SequenceNumber", "Bytes"],
    provides: [],
    inputs: ["event type, data and who observed it when"],
    outputs: ["a validated, immutable event"],
    state: "None: a record.",
    failureSemantics:
      "Invalid fields are rejected at construction with the field named; decoding with the codec is strict and says which field is wrong rather than filling in defaults.",
    compositionRules: "Produced by JsonEventDecoder and PeripheralAdapter (eventType option); spooled, tapped and filtered downstream.",
    operationalKnobs: [],
  },
  {
    name: "HealthStatus",
    role: "observability",
    layer: "atom",
    families: ["Observability", "Sensor IO"],
    contract:
      "A sensor's health at a moment: { status: ok | stale | error, observedAt, message, stale, errorCount }; healthStatus(…) validates it and healthStatusCodec() encodes it.",
    requires: ["Status", "Timestamp"],
    provides: [],
    inputs: ["the health assessment of a watchdog"],
    outputs: ["a validated, immutable status record"],
    state: "None: a record; errorCount is the count carried by whoever produced it.",
    failureSemantics:
      "A snapshot: read observedAt before trusting an ok; stale says whether the last value is older than the configured limit at observedAt.",
    compositionRules: "Emitted by SensorHealthWatchdog; shown in the demo's pipeline view; a CircuitBreaker or Reconciler can publish theirs in the same shape.",
    operationalKnobs: [],
  },
  {
    name: "SensorIdentity",
    role: "identity",
    layer: "atom",
    families: ["Sensor IO"],
    contract:
      "Who produced a reading: { id?, tags: SensorTag[], location: SensorLocation, group? }; sensorIdentity(…) validates it, and a component's group fills in group when the identity has none.",
    requires: ["SensorTag", "SensorLocation"],
    provides: [],
    inputs: ["device id, tags, position and group"],
    outputs: ["a validated, immutable identity"],
    state: "None: a record.",
    failureSemantics: "Invalid tags or coordinates are rejected at construction; an identity without id is valid and is told apart by tags and location only.",
    compositionRules: "Carried by SensorEvent; taken from a Heart envelope's peripheralInfo by PeripheralAdapter; set as the default identity of JsonEventDecoder and ReactiveSensorSource.",
    operationalKnobs: [],
  },
  {
    name: "SensorTag",
    role: "identity",
    layer: "atom",
    families: ["Sensor IO"],
    origin: "manyfold-rx",
    contract: "A label on a sensor identity: { name, variant, metadata }, e.g. name 'temperature', variant 'ambient'; sensorTag(…) validates it.",
    requires: [],
    provides: [],
    inputs: ["a tag name, a variant and free-form metadata"],
    outputs: ["a validated, immutable tag"],
    state: "None: a record.",
    failureSemantics: "A missing name or variant is rejected at construction rather than defaulted, so tags stay comparable.",
    compositionRules: "Listed in SensorIdentity.tags; used to select streams by what they measure rather than by device id.",
    operationalKnobs: [],
  },
  {
    name: "SensorLocation",
    role: "data",
    layer: "atom",
    families: ["Sensor IO"],
    origin: "manyfold-rx",
    contract: "Where a sensor is: { x, y, z, timestamp? } in the deployment's own coordinate frame, optionally with when it was there; sensorLocation(…) validates it.",
    requires: ["Timestamp"],
    provides: [],
    inputs: ["coordinates and an optional time"],
    outputs: ["a validated, immutable location"],
    state: "None: a record.",
    failureSemantics: "Non-finite coordinates are rejected at construction; the frame and units are a deployment convention the type does not check.",
    compositionRules: "The location of SensorIdentity; with a timestamp it describes moving sensors.",
    operationalKnobs: [],
  },
  {
    name: "Peripheral",
    role: "ingestion",
    layer: "local",
    families: ["Sensor IO"],
    group: "PeripheralAdapter",
    contract:
      "The structural device interface the adapters accept, compatible with Heart peripherals without depending on Heart: { observe: Observable | Subscribable; run?(); stop?(); close?(); handleInput?(v) | handle_input?(v) }. Items may be envelopes { data, peripheralInfo | peripheral_info }; any item with a data key counts as one.",
    requires: ["Observable", "Subscribe"],
    provides: [],
    inputs: ["whatever drives the device (a driver, a simulation)"],
    outputs: ["the observe stream of readings or envelopes"],
    state: "The device's own; the interface holds none.",
    failureSemantics:
      "The adapter subscribes to observe before calling run(), so no early item is missed; if run() throws, the error goes downstream and observe is unsubscribed.",
    compositionRules: "Wrapped by PeripheralAdapter (read side) and DuplexSensorPeripheral (read and control); HandleInput is its optional input method.",
    operationalKnobs: [],
  },
  {
    name: "SensorDebugTap",
    role: "observability",
    layer: "local",
    families: ["Observability", "Sensor IO"],
    contract:
      "A bounded in-process history of what flowed through named points of a sensor pipeline: new SensorDebugTap({ historySize = 512, clock? }) with publish({ stage, streamName, sourceId, payload, upstreamIds? }) returning the stored envelope and snapshot() returning the history; the debugTap(tap, { stage, streamName, sourceId }) operator publishes each value it passes. Stages are raw | view | logical | frame.",
    requires: ["RingBuffer", "Clock"],
    provides: ["Observable", "BestEffort"],
    inputs: ["values passing tapped pipeline points"],
    outputs: ["envelopes { stage, streamName, sourceId, timestamp, payload, upstreamIds, group? }", "snapshots of the history"],
    state: "The last historySize envelopes.",
    failureSemantics:
      "Older envelopes are evicted when the history is full; the tap observes and never alters or delays the values passing through, so removing it changes nothing downstream.",
    compositionRules: "Placed at raw, decoded and framed points (after SerialPortSource, JsonEventDecoder, FrameAssembler); sources accept a debugTap option; the envelope's group is the operator's or else the tap's.",
    operationalKnobs: ["historySize", "clock", "stage, streamName and sourceId per tap point", "group"],
  },
  {
    name: "LocalSensorSource",
    role: "ingestion",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "Polls a read function (sync or Promise) every period or on each trigger and emits SensorSample<T>s: with every, the first read happens at subscribe; a tick arriving while a read and its retries are in flight is ignored; both timestamps are scheduler.now() at emission unless read returns sensorReading(value, sourceTimestamp). Samples are numbered peek() + step and the counter advances only after emission.",
    requires: ["Clock", "RetryLoop", "SequenceCounter", "SensorSample", "RouteRef"],
    provides: ["Observable"],
    inputs: ["a read function", "a period (every, > 0 ms) or a trigger Observable, exactly one of them"],
    outputs: ["SensorSample<T> per successful read", "skipped read errors on errors$ and onError", "reads, retries, skipped, ignored, invalid and emitted counters"],
    state: "Its SequenceCounter, the in-flight read, and the polling schedule.",
    failureSemantics:
      "Failed reads are retried by the retry and backoff policies; when retries run out, onReadError 'error' (default) errors the stream and 'skip' reports through onError(error) and keeps polling. A failed read never consumes a sequence number.",
    compositionRules:
      "Followed by filters, SensorHealthWatchdog and LocalDurableSpool; its errors$ (skipped reads) feeds sensorHealth({ errors }); group propagates to its counter and clock.",
    operationalKnobs: ["every ms or trigger", "retry", "backoff", "onReadError error | skip", "quality, status", "sequence", "scheduler", "group"],
    parts: ["Clock", "RetryLoop", "SequenceCounter", "SensorSample", "RouteRef"],
  },
  {
    name: "ReactiveSensorSource",
    role: "ingestion",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "Wraps an existing Observable of readings as a sensor source: each value goes through map, then with wrapSample into a SensorSample stamped from the scheduler and numbered from a SequenceCounter advanced only after emission. Completion and errors pass through.",
    requires: ["Clock", "SequenceCounter", "RouteRef"],
    provides: ["Observable"],
    inputs: ["an Observable of raw readings pushed by a driver"],
    outputs: ["mapped values or SensorSamples"],
    state: "A SequenceCounter per subscription unless one is passed in.",
    failureSemantics:
      "A value that cannot become a valid sample (NaN, say) is dropped, counted invalid and reported to onInvalid, and the stream goes on; errors of the source pass downstream unchanged.",
    compositionRules: "For drivers that push (event emitters, RxJS streams); LocalSensorSource for drivers that must be polled; debugTap option for the raw stage.",
    operationalKnobs: ["map", "wrapSample", "identity", "sequence", "scheduler", "debugTap", "group"],
    parts: ["Observable", "Clock", "SequenceCounter", "RouteRef"],
  },
  {
    name: "PeripheralAdapter",
    role: "ingestion",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "Turns a structural Peripheral into an Observable: fromPeripheral(peripheral, options) subscribes to observe, then calls run(); each item is unwrapped (its data), mapped, wrapped in a SensorEvent when eventType is given (identity from the envelope's peripheral info) and in a SensorSample with wrapSample. Without map or eventType it emits the envelope's data, or the item itself.",
    requires: ["SensorIdentity", "SensorEvent", "RouteRef"],
    provides: ["Observable"],
    inputs: ["a Peripheral's observe stream"],
    outputs: ["data, SensorEvents or SensorSamples"],
    state: "The subscription to observe and, when wrapping, a SequenceCounter.",
    failureSemantics:
      "An item whose info, event or sample is invalid is dropped, counted and reported to onInvalid; if observe errors or run() throws (or rejects), the error goes downstream and observe is released. stop() then close() are called at the end only with stopOnUnsubscribe, so by default one consumer leaving does not stop a shared device.",
    compositionRules: "The read half of DuplexSensorPeripheral; followed by SensorDebugTap, filters and LocalDurableSpool; swaps a Heart peripheral for a simulated one without changing the pipeline.",
    operationalKnobs: ["map", "eventType", "wrapSample", "identity", "runOnSubscribe (true)", "stopOnUnsubscribe (false)", "sequence", "scheduler", "debugTap", "group"],
    parts: ["Peripheral", "SensorIdentity", "SensorEvent", "RouteRef"],
  },
  {
    name: "DuplexSensorPeripheral",
    role: "ingestion",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "A PeripheralAdapter that also drives the device: duplexPeripheral(peripheral, { control, … }) forwards each value of the control Observable (its .value when it has one) to the peripheral's handleInput, or handle_input when handleInput is absent, while emitting the read side like fromPeripheral.",
    requires: ["PeripheralAdapter"],
    provides: ["Observable"],
    inputs: ["the Peripheral's observe stream", "a control Observable of commands"],
    outputs: ["the adapter's data, events or samples"],
    state: "The subscriptions to observe and to the control stream.",
    failureSemantics:
      "Control values are forwarded one call each, with no retry or acknowledgement, only while the output is subscribed (control is subscribed after run()); a control error or a throwing input method errors the output, control completion just stops the inputs, and a peripheral with no input method is a TypeError at construction.",
    compositionRules: "For devices configured at run time (sampling rate, mode); the control RouteRef is typically fed by a UI, a Reconciler or a FeatureFlag.",
    operationalKnobs: ["control", "every PeripheralAdapter option"],
    parts: ["PeripheralAdapter", "RouteRef", "HandleInput"],
  },
  {
    name: "RateMatchedSensor",
    role: "flow",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "Matches a fast source to a slower consumer: rateMatch({ capacity, mode = 'latest', demand }) holds values in a ring buffer and releases one per demand pulse (an Observable, or a period in ms), if one is held. 'latest' keeps only the newest value (capacity 1, overflow latest); 'fifo' keeps up to capacity with drop_oldest, so fifo capacity 2 with source 1, 2, 3 and two pulses emits 2 then 3.",
    requires: ["RingBuffer", "Clock", "Graph"],
    provides: ["Bounded"],
    inputs: ["values from a fast source", "demand pulses or a period"],
    outputs: ["at most one value per pulse"],
    state: "A BoundedRingBuffer per subscription and the demand subscription.",
    failureSemantics:
      "Values the buffer cannot hold are dropped and counted (AtMostOnce for them); a pulse with nothing held emits nothing rather than repeating an old value.",
    compositionRules:
      "Between a sensor source and a slow consumer (display, uplink); names itself <group>.rate_matched_sensor when given a group and no name; lego kind RateMatchedSensor.",
    operationalKnobs: ["capacity", "mode latest | fifo", "demand (Observable or ms)", "scheduler", "name", "group"],
    parts: ["RingBuffer", "Clock", "Graph", "Capacitor"],
  },
  {
    name: "SensorHealthWatchdog",
    role: "observability",
    layer: "application",
    families: ["Sensor IO"],
    contract:
      "Turns a sensor stream into HealthStatus: sensorHealth({ staleAfter, checkEvery?, errors?, staleMessage? }) reports stale on subscribe, ok (message '') when a value arrives while stale, stale ('sensor input is stale' by default) once staleAfter ms pass without a value, and error on a source error (errorCount + 1, then completes). Each value on errors reports error with the count raised while the stream goes on; with checkEvery it re-reports the current status every checkEvery ms.",
    requires: ["Clock", "Watchdog", "HealthStatus"],
    provides: ["Observable"],
    inputs: ["the sensor stream (only arrivals and errors matter)", "an optional errors stream"],
    outputs: ["HealthStatus on each change, and every checkEvery ms when set"],
    state: "The watchdog state, the last value's time and the error count.",
    failureSemantics:
      "Stale means now − lastSeen ≥ staleAfter; a source error becomes an error status and completion instead of an error notification, so a health view never dies with its sensor.",
    compositionRules: "Placed on the raw source (before filters that may legitimately go quiet); fed LocalSensorSource's skipped read errors through errors.",
    operationalKnobs: ["staleAfter ms", "checkEvery ms", "errors", "staleMessage", "scheduler", "group"],
    parts: ["Clock", "Watchdog", "HealthStatus"],
  },
  {
    name: "SerialPortSource",
    role: "ingestion",
    layer: "application",
    families: ["Sensor IO"],
    origin: "manyfold-rx",
    contract:
      "An Observable of byte chunks from a real serial device: fromSerialPort({ path, baudRate, … }) opens the port on subscribe, reopens it with backoff after it closes or errors (device unplugged, pty peer gone) until unsubscribed, and closes it on unsubscribe. Subscribers share one connection; write() and the commands option send to the device; events$ reports opening, open, closed, reconnecting and error.",
    requires: ["RetryPolicy", "BackoffPolicy", "Clock", "Bytes"],
    provides: ["Observable"],
    inputs: ["a device path and line settings", "commands to write"],
    outputs: ["byte chunks", "connection events", "opens, reconnects, bytes in and out counters"],
    state: "The open port (shared by subscribers), the open-attempt streak and pending writes.",
    failureSemantics:
      "A lost connection is retried, not surfaced, until the retry policy is spent; then the stream errors with SERIAL_OPEN_FAILED saying why (no such device, permission denied, busy) with the binding's error as cause. Bytes arriving while the port is closed are lost; nothing is replayed.",
    compositionRules: "Followed by DelimitedMessageBuffer (delimited) and JsonEventDecoder; tap its raw chunks with SensorDebugTap; spool decoded events with LocalDurableSpool.",
    operationalKnobs: ["path", "baudRate and line settings", "retry", "backoff", "binding", "group"],
  },
];
