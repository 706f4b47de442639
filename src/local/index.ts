export type { Codec } from "./schema.js";
export { SequenceCounter, type SequenceCounterOptions } from "./sequence-counter.js";
export { BoundedRingBuffer, type BoundedRingBufferOptions } from "./bounded-ring-buffer.js";
export { bytesCodec, jsonCodec, numberCodec, stringCodec } from "./value-codecs.js";
export { Watchdog, watchdog, type WatchdogMachineOptions, type WatchdogOptions, type WatchdogState } from "./watchdog.js";
export { PipelineGraph, pipeline, type DescribedPipeline, type PipelineBranch, type PipelineGraphOptions, type PipelineStage } from "./graph.js";
export { retryWithBackoff, type RetryInfo, type RetryWithBackoffOptions } from "./retry-with-backoff.js";
export {
  retryLoop,
  retryRunner,
  type AttemptInfo,
  type RetryLoopOptions,
  type RetryOperation,
  type RetryRunner,
} from "./retry-loop.js";
export { ChangeFilter, changeFilter, type ChangeFilterOptions } from "./change-filter.js";
export { ThresholdFilter, thresholdFilter, type ThresholdFilterOptions } from "./threshold-filter.js";
export { rateMatch, type RateMatchMode, type RateMatchOptions } from "./rate-match.js";
export {
  DelimitedMessageBuffer,
  delimited,
  type DelimitedChunk,
  type DelimitedInvalidReason,
  type DelimitedMessage,
  type DelimitedMessageBufferOptions,
  type DelimitedMode,
  type DelimitedOptions,
  type InvalidMessage,
} from "./delimited-message-buffer.js";
export {
  DoubleBuffer,
  doubleBuffer,
  type DoubleBufferOperatorOptions,
  type DoubleBufferOptions,
  type DoubleBufferPacket,
} from "./double-buffer.js";
export {
  FrameAssembler,
  assembleFrames,
  type AssembleFramesOptions,
  type FrameAssemblerOptions,
  type FrameInvalidReason,
  type FrameKey,
  type FrameKeyOf,
  type InvalidFrameData,
  type SensorFrame,
} from "./frame-assembler.js";
export { xorChecksum } from "./xor-checksum.js";
export { InProcessTransport, subjectMatches, type InProcessSubscribeOptions, type InProcessTransportOptions } from "./in-process-transport.js";
