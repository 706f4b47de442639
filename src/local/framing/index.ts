export type { FramingChunk, InvalidFrame } from "./framer.js";
export {
  FixedLengthFramer,
  fixedLength,
  type FixedLengthFramerOptions,
  type FixedLengthInvalidReason,
  type FixedLengthOptions,
} from "./fixed-length-framer.js";
export {
  LengthPrefixedFramer,
  lengthPrefixed,
  type Endian,
  type FrameChecksum,
  type LengthPrefixedFramerOptions,
  type LengthPrefixedInvalidReason,
  type LengthPrefixedOptions,
} from "./length-prefixed-framer.js";
export { IdleGapFramer, idleGap, type IdleGapFramerOptions, type IdleGapOptions } from "./idle-gap-framer.js";
export {
  PatternFramer,
  splitOn,
  type PatternEncoding,
  type PatternFramerOptions,
  type PatternInvalidReason,
  type SplitOnOptions,
} from "./pattern-framer.js";
export { ReadyGate, awaitReady, type AwaitReadyOptions, type ReadyGateOptions } from "./ready-gate.js";
