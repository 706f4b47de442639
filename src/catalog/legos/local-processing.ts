import type { LegoEntry } from "../types.js";

/**
 * Local Runtime legos that shape a stream of device data: framing, decoding,
 * filtering, batching, checksums and liveness. All are pure classes with an
 * operator on top, one state per subscription.
 */
export const LOCAL_PROCESSING: readonly LegoEntry[] = [
  {
    name: "Watchdog",
    role: "observability",
    layer: "local",
    families: ["Local Runtime", "Observability"],
    contract:
      "Watches a stream for liveness: watchdog({ timeout }) emits { alive, lastSeen?, since }: not alive on subscribe, alive when a value arrives while not alive, not alive again once timeout ms pass without a value (now − lastSeen ≥ timeout). It reports changes only, and since is when the current state began. The pure Watchdog class does the same from seen(now) and check(now) calls.",
    requires: ["Clock", "Timer"],
    provides: ["Observable"],
    inputs: ["the watched stream's values (only their arrival matters)", "the scheduler's time"],
    outputs: ["WatchdogState on every change"],
    state: "Whether the stream is alive, when it last saw a value, when the state began, and the pending deadline timer.",
    failureSemantics:
      "Detects silence, not wrong values: a source that keeps sending garbage stays alive. A timer that fires late only delays the not-alive report; it never reports alive without a value.",
    compositionRules: "SensorHealthWatchdog turns it into HealthStatus; the local ingredient of Heartbeat-based FailureDetector; placed after a source, before filters that could suppress values.",
    operationalKnobs: ["timeout ms (> 0)", "scheduler", "name", "group"],
  },
  {
    name: "ChangeFilter",
    role: "processing",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "Passes the first value and then only values whose key (the value itself by default) differs (!==, so a NaN key always differs) from the key of the last value passed; ChangeFilter.accepts(v) on the pure class, changeFilter(key?) or changeFilter({ key, group }) as an operator.",
    requires: ["Deterministic"],
    provides: [],
    inputs: ["values", "an optional key function"],
    outputs: ["values that changed"],
    state: "The key of the last value passed (nothing before the first value).",
    failureSemantics:
      "A flapping value passes every flap (use ThresholdFilter for a deadband); a resubscription starts with fresh state and passes its first value again.",
    compositionRules: "After a source and before a spool or network hop to cut redundant traffic; ThresholdFilter builds on the same last-passed comparison.",
    operationalKnobs: ["key function", "group"],
  },
  {
    name: "ThresholdFilter",
    role: "processing",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "A deadband against the last value passed: numbers pass when |new − last| > threshold; booleans on any change; arrays and objects when any element or key (keys in sorted order) passes, or when their shape (length, key set) changes; strings, null and mixed types when !==. NaN after NaN passes again, Infinity after Infinity does not.",
    requires: ["ChangeFilter"],
    provides: [],
    inputs: ["values", "threshold", "an optional key function"],
    outputs: ["values that moved by more than the threshold"],
    state: "The last value passed.",
    failureSemantics:
      "Because it compares with the last value passed, not the previous one, slow drift accumulates and eventually passes; a sensor stuck reporting NaN is not silenced. A threshold that is negative or not finite is a RangeError when the filter is built.",
    compositionRules: "After a source or a decoder to keep only meaningful changes before a spool, a network hop or a UI; pair with SensorHealthWatchdog placed before it, since a quiet filtered stream is not a dead sensor.",
    operationalKnobs: ["threshold (finite, ≥ 0)", "key function", "group"],
  },
  {
    name: "DelimitedMessageBuffer",
    role: "processing",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "Reassembles delimiter-separated messages from arbitrarily split chunks: append(chunk) returns the complete messages without their delimiters (empty messages included); multi-byte delimiters match across chunk boundaries; in text mode a UTF-8 character split between chunks decodes correctly. delimited(options) is the operator.",
    requires: ["Buffer", "Bytes"],
    provides: ["Bounded"],
    inputs: ["chunks (Uint8Array or strings) from a serial port or socket"],
    outputs: ["whole messages as bytes or text", "onInvalid reports"],
    state: "The bytes after the last delimiter (bufferSize counts them; 0 while an oversize message is being discarded).",
    failureSemantics:
      "Bad data never ends the stream: a message over maxMessageBytes is dropped and reported as oversize, invalid UTF-8 in text mode as invalid-utf8, and a trailing partial message at completion as incomplete, each through onInvalid({ reason, bytes }) and a counter.",
    compositionRules: "First stage after SerialPortSource or a peripheral byte stream; feeds JsonEventDecoder; XorChecksum checks lines of NMEA-like protocols it frames.",
    operationalKnobs: ["delimiter (default \\n, may be multi-byte)", "mode bytes | text", "maxMessageBytes (default 65 536, delimiter not counted)", "onInvalid"],
  },
  {
    name: "JsonEventDecoder",
    role: "ingestion",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "Turns one JSON object per message into a SensorEvent: eventType from event_type (null or \"\" means the default 'sensor.event'), data from data (or {}), every other key into sorted metadata, the raw bytes kept; numbered from a SequenceCounter and stamped from its clock. decode(message) on the class, decodeJsonEvents(options) as the operator.",
    requires: ["SensorEvent", "SequenceCounter", "Clock", "Decode"],
    provides: [],
    inputs: ["messages as bytes or strings, one JSON object each"],
    outputs: ["SensorEvents", "onInvalid reports"],
    state: "Its SequenceCounter, clock and default identity.",
    failureSemantics:
      "Blank messages are skipped silently; invalid UTF-8, non-JSON, non-object and non-string event_type messages yield nothing, do not advance the sequence, and are reported through onInvalid({ reason, bytes }) with reason invalid-utf8 | not-json | not-object | bad-event-type.",
    compositionRules: "After DelimitedMessageBuffer on a serial line; before ChangeFilter, SensorDebugTap or LocalDurableSpool; its identity adopts the decoder's group.",
    operationalKnobs: ["defaultEventType", "identity", "sequence", "clock or scheduler", "group"],
  },
  {
    name: "DoubleBuffer",
    role: "processing",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "Two fixed-size buffers take turns: pushes fill the active one; when it is full it is finalised as a packet { bufferId: 0 | 1, samples } and the other becomes active, so one batch is processed while the next fills. flush() finalises a non-empty active buffer; pop() takes the oldest packet not yet popped; doubleBuffer(size) emits packets as they fill and the partial one at completion.",
    requires: ["Buffer", "Capacity"],
    provides: [],
    inputs: ["samples"],
    outputs: ["packets of size samples tagged with the buffer they came from"],
    state: "The active buffer's samples, which buffer is active, and finalised packets not yet popped.",
    failureSemantics:
      "A filled buffer is finalised as its own packet and never overwritten by the next fill; samples in a partly filled buffer leave only through flush() or completion.",
    compositionRules: "Between a high-rate sampler and block processing (FFT, batch upload, spool writes in chunks); FrameAssembler is the alternative when samples belong to numbered slots.",
    operationalKnobs: ["size (samples per buffer)", "group"],
  },
  {
    name: "FrameAssembler",
    role: "processing",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "Groups samples into frames by two functions you supply, frameId(sample) and slotId(sample): a frame { frameId, samples } is emitted once it holds expectedCount distinct slots, its samples ordered by slot id. add(v) returns the frames it completed; assembleFrames(options) is the operator.",
    requires: ["SequenceNumber"],
    provides: [],
    inputs: ["samples belonging to frames and slots (e.g. one reading per channel per scan)"],
    outputs: ["complete frames"],
    state: "The frames still missing slots, with the samples collected so far.",
    failureSemantics:
      "A frame that never gets all its slots is never emitted, so a lost sample holds back its whole frame; a repeated slot does not count twice toward completion.",
    compositionRules: "After a multi-channel source or decoder; before LocalDurableSpool or analysis that needs all channels of one scan together.",
    operationalKnobs: ["expectedCount", "frameId function", "slotId function", "group"],
  },
  {
    name: "XorChecksum",
    role: "integrity",
    layer: "local",
    families: ["Local Runtime"],
    contract:
      "xorChecksum(bytes) XORs every octet into one byte (0 to 255), the checksum that NMEA-style serial protocols append to each line; it accepts a Uint8Array or an array of octets and rejects anything that is not an integer from 0 to 255.",
    requires: ["Checksum", "Bytes"],
    provides: [],
    inputs: ["the bytes of a message"],
    outputs: ["a one-byte checksum"],
    state: "None: a pure function.",
    failureSemantics:
      "Detects any error that flips an odd number of bits in some bit position, but misses byte swaps and pairs of errors in the same bit position; it is neither a CRC nor protection against tampering.",
    compositionRules: "Applied to messages framed by DelimitedMessageBuffer before decoding; a mismatch means drop and count the message.",
    operationalKnobs: [],
  },
];
