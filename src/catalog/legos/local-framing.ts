import type { LegoEntry } from "../types.js";

/**
 * The framers this project adds beside the seed's DelimitedMessageBuffer,
 * for protocols without a delimiter (the parsers a serialport user knows:
 * packet length, inter-byte timeout, byte length, regex, ready). Each is a
 * pure class with an operator on top, bounded, and reports bad frames
 * through onInvalid while the stream goes on.
 */
export const LOCAL_FRAMING: readonly LegoEntry[] = [
  {
    name: "LengthPrefixedFramer",
    role: "processing",
    layer: "local",
    families: ["Framing"],
    origin: "manyfold-rx",
    contract:
      "Reassembles binary frames that carry their own length: lengthPrefixed({ start, lengthOffset, lengthBytes, endian, overhead, maxLength, checksum? }) finds the start bytes, reads a 1 to 4 byte length field at lengthOffset (little- or big-endian) and emits each whole frame of length + overhead bytes once it is complete; an optional xor or CRC-32 checksum at the end of the frame is checked first. serialport's PacketLengthParser options map one to one.",
    requires: ["Buffer", "Bytes", "Checksum"],
    provides: ["Bounded"],
    inputs: ["byte chunks split anywhere (serial reads, socket data)"],
    outputs: ["whole frames as Uint8Array", "onInvalid reports (oversize, bad-length, bad-checksum, incomplete)", "skipped byte count"],
    state: "The bytes of the frame in progress (at most maxLength + overhead) or the tail where a start sequence may begin.",
    failureSemantics:
      "Garbage between frames is skipped and counted; a frame whose length field is over maxLength or too short, or whose checksum fails, is reported and the framer resynchronises on the next start bytes after that frame's first byte, so one corrupt byte costs at most the frames it overlaps. A frame cut off by the end of the stream is reported as incomplete.",
    compositionRules:
      "First stage after SerialPortSource for binary sensor protocols; a Schema codec or a custom decoder reads the frames; pair with SensorDebugTap on the raw chunks when frames go missing.",
    operationalKnobs: ["start bytes (or alternatives)", "lengthOffset", "lengthBytes 1-4", "endian le | be", "overhead", "maxLength", "checksum xor | crc32 (from, endian)", "copy", "onInvalid", "group"],
  },
  {
    name: "IdleGapFramer",
    role: "processing",
    layer: "local",
    families: ["Framing"],
    origin: "manyfold-rx",
    contract:
      "Ends a message after a silence: idleGap({ interval, maxBytes, scheduler? }) collects bytes until interval ms pass without one, or until the message reaches maxBytes, and emits them as one Uint8Array; the timer runs on the scheduler, so the framing is testable in virtual time. At completion the message in progress is emitted. It replaces serialport's InterByteTimeoutParser.",
    requires: ["Buffer", "Bytes", "Clock", "Timer"],
    provides: ["Bounded"],
    inputs: ["byte chunks from a device that separates replies by silence (Modbus RTU style)", "the scheduler's time"],
    outputs: ["one Uint8Array per burst, or per maxBytes"],
    state: "The bytes since the last gap (fewer than maxBytes), when the last one arrived, and one pending timer.",
    failureSemantics:
      "Framing depends on timing: a device that pauses mid-message longer than interval splits it, and two replies closer than interval merge; a message reaching maxBytes is cut there, not dropped. A late timer only delays the emission, and a chunk arriving after the gap was due first ends the held message.",
    compositionRules:
      "After SerialPortSource for devices without a terminator or length field; follow with a decoder that validates each burst (for example a Schema codec); a Watchdog on the same source reports the silence itself.",
    operationalKnobs: ["interval ms (> 0)", "maxBytes (default 65 536)", "scheduler", "name", "group"],
  },
  {
    name: "FixedLengthFramer",
    role: "processing",
    layer: "local",
    families: ["Framing"],
    origin: "manyfold-rx",
    contract:
      "Cuts a byte stream into frames of exactly n bytes whatever the chunking: fixedLength(n) emits every n bytes as one Uint8Array (a view of the chunk when the frame lies inside it, unless copy is set), like serialport's ByteLengthParser.",
    requires: ["Buffer", "Bytes"],
    provides: ["Bounded"],
    inputs: ["byte chunks of a fixed-record stream"],
    outputs: ["n-byte frames", "onInvalid report of a trailing partial frame"],
    state: "Up to n − 1 bytes of the frame in progress.",
    failureSemantics:
      "It has no way to resynchronise: one lost or extra byte shifts every later frame, so use it only on links that do not drop bytes, or behind a check that notices; a partial frame left at completion is reported as incomplete, not emitted.",
    compositionRules:
      "For records of a fixed size (register dumps, fixed sensor packets) after SerialPortSource; DoubleBuffer or FrameAssembler can group the frames further.",
    operationalKnobs: ["length n", "copy", "onInvalid", "group"],
  },
  {
    name: "PatternFramer",
    role: "processing",
    layer: "local",
    families: ["Framing"],
    origin: "manyfold-rx",
    contract:
      "Splits a byte stream into text messages wherever a regular expression matches: splitOn(pattern, { encoding, maxMessageBytes }) decodes the bytes (UTF-8 by default, a character split across chunks included), emits the text between matches as soon as a match ends it, and skips the continuation of a match the next chunk carries on, so chunking never changes the messages. It replaces serialport's RegexParser.",
    requires: ["Buffer", "Bytes"],
    provides: ["Bounded"],
    inputs: ["byte or text chunks", "a separator pattern"],
    outputs: ["text messages", "onInvalid reports (oversize, invalid-utf8, incomplete)"],
    state: "The text after the last separator (bounded by maxMessageBytes), the last separator when it ended a chunk, and up to three bytes of a split UTF-8 character.",
    failureSemantics:
      "A message over maxMessageBytes is reported as soon as that is certain and skipped up to the next separator; in UTF-8 a message with bytes that are not UTF-8 is reported with those bytes instead of being emitted with replacement characters; a partial message at completion is reported as incomplete.",
    compositionRules:
      "For separators a fixed delimiter cannot express (CR, LF or both; several field separators); DelimitedMessageBuffer is faster when one delimiter will do; JsonEventDecoder or a parser reads the messages.",
    operationalKnobs: ["pattern (RegExp or source string)", "encoding utf8 | latin1 | ascii | hex", "maxMessageBytes (default 65 536)", "onInvalid", "group"],
  },
  {
    name: "ReadyGate",
    role: "control",
    layer: "local",
    families: ["Framing"],
    origin: "manyfold-rx",
    contract:
      "Holds back a device's byte stream until it announces it is ready: awaitReady(sequence) drops everything up to and including the ready sequence (split across chunks or overlapping itself), calls onReady once, then passes the rest of that chunk and every later chunk through unchanged, as serialport's ReadyParser does.",
    requires: ["Bytes"],
    provides: ["Bounded"],
    inputs: ["byte chunks from a device that prints a banner or noise while it boots", "the ready sequence"],
    outputs: ["the chunks after the sequence", "an onReady call", "skipped byte count"],
    state: "Whether the sequence has arrived, and up to sequence.length − 1 bytes where it may begin.",
    failureSemantics:
      "A device that never sends the sequence never lets anything through (pair with a Watchdog or a timeout to notice); bytes before the sequence are counted, not reported one by one; after a reconnect a new subscription (or reset()) waits again.",
    compositionRules:
      "Directly after SerialPortSource and before the framer (delimited, lengthPrefixed…); onReady is the place to write the first command to the device.",
    operationalKnobs: ["sequence (string, bytes or byte numbers)", "onReady", "name", "group"],
  },
];
