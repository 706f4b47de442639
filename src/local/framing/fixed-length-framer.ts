import type { LegoOperator } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireKnownOptions,
  requireNonEmptyString,
  requireObject,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { callbackOption, copyOf, framerMeter, framingOperator, toBuffer, viewOf, type FramingChunk, type InvalidFrame } from "./framer.js";

/** Why a {@link FixedLengthFramer} dropped bytes: only a trailing partial frame at the end. */
export type FixedLengthInvalidReason = "incomplete";

/** Options of {@link FixedLengthFramer}. */
export interface FixedLengthFramerOptions {
  /** Bytes per frame (a positive integer); also the most the framer holds. */
  length: number;
  /**
   * Copy each frame into its own memory. Without it a frame wholly inside
   * one chunk is a view into that chunk (faster; the chunk must not be
   * changed afterwards). @default false
   */
  copy?: boolean;
  /** Called with the trailing partial frame at the end (`incomplete`). @default undefined */
  onInvalid?: (invalid: InvalidFrame<FixedLengthInvalidReason>) => void;
  /** Label linking the framer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link fixedLength} operator. */
export interface FixedLengthOptions extends FixedLengthFramerOptions {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const FRAMER_OPTIONS = ["length", "copy", "onInvalid", "group"] as const;

/**
 * Cuts a byte stream into frames of exactly `length` bytes, whatever the
 * chunking (the project's `FixedLengthFramer` lego; serialport's
 * `ByteLengthParser`). It holds at most `length − 1` bytes; `end()` reports
 * a trailing partial frame as `incomplete` instead of emitting it.
 *
 * ## Example
 * ```ts
 * const records = new FixedLengthFramer({ length: 4 });
 * records.append(new Uint8Array([1, 2, 3]));       // []
 * records.append(new Uint8Array([4, 5, 6, 7, 8])); // [[1, 2, 3, 4], [5, 6, 7, 8]]
 * ```
 * @see {@link fixedLength} the operator.
 * @lego FixedLengthFramer
 */
export class FixedLengthFramer {
  readonly length: number;
  readonly copy: boolean;
  group: string | undefined;
  /** Frames emitted so far. */
  frames = 0;
  /** Trailing partial frames reported by `end()`. */
  incomplete = 0;
  private readonly onInvalid: ((invalid: InvalidFrame<FixedLengthInvalidReason>) => void) | undefined;
  private readonly pending: Buffer;
  private pendingLength = 0;

  constructor(options: FixedLengthFramerOptions) {
    requireKnownOptions("FixedLengthFramer", requireObject("options", options), FRAMER_OPTIONS);
    this.length = requirePositiveInteger("length", options.length);
    this.copy = requireBoolean("copy", options.copy ?? false);
    this.onInvalid = callbackOption("onInvalid", options.onInvalid);
    this.group = optionalGroup(options.group);
    this.pending = Buffer.alloc(this.length);
  }

  /** Bytes held for the frame in progress (less than `length`). */
  get bufferSize(): number {
    return this.pendingLength;
  }

  /** Adds a chunk and returns the frames it completed. */
  append(chunk: FramingChunk): Uint8Array[] {
    const frames: Uint8Array[] = [];
    this.feed(chunk, (frame) => frames.push(frame));
    return frames;
  }

  /** Adds a chunk and hands each completed frame to `emit` as soon as it is found. */
  feed(chunk: FramingChunk, emit: (frame: Uint8Array) => void): void {
    const buf = toBuffer(chunk);
    const n = this.length;
    let pos = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(n - this.pendingLength, buf.length);
      buf.copy(this.pending, this.pendingLength, 0, take);
      this.pendingLength += take;
      pos = take;
      if (this.pendingLength < n) return;
      this.pendingLength = 0;
      this.frames++;
      emit(copyOf(this.pending, 0, n));
    }
    const copy = this.copy;
    for (; pos + n <= buf.length; pos += n) {
      this.frames++;
      emit(copy ? copyOf(buf, pos, pos + n) : viewOf(buf, pos, pos + n));
    }
    if (pos < buf.length) {
      buf.copy(this.pending, 0, pos);
      this.pendingLength = buf.length - pos;
    }
  }

  /** Ends the stream: a trailing partial frame is reported as `incomplete`; the framer is then empty. */
  end(): void {
    if (this.pendingLength === 0) return;
    const bytes = copyOf(this.pending, 0, this.pendingLength);
    this.pendingLength = 0;
    this.incomplete++;
    this.onInvalid?.(Object.freeze({ reason: "incomplete", bytes }));
  }

  /** Drops the frame in progress without reporting it. */
  clear(): void {
    this.pendingLength = 0;
  }
}

/**
 * Emits every `length` bytes of a byte stream as one frame — the
 * `FixedLengthFramer` lego as an operator (serialport's `ByteLengthParser`).
 * Chunk boundaries may fall anywhere. A trailing partial frame at
 * completion is reported as `incomplete` through `onInvalid`, not emitted.
 * A source error is passed on.
 *
 * ```text
 * source:  --a------b-----|     a = [1 2 3], b = [4 5 6 7 8]
 *          fixedLength(4)
 * result:  ---------(xy)--|     x = [1 2 3 4], y = [5 6 7 8]
 * ```
 *
 * ## Example
 * ```ts
 * port.pipe(fixedLength(12)).subscribe((record) => decodeRecord(record));
 * ```
 * Counters on `lego`: `messages`, `invalid`, `incomplete`.
 * @see {@link FixedLengthFramer} the state machine (one per subscription).
 * @see {@link lengthPrefixed} when each frame says its own length.
 * @lego FixedLengthFramer
 */
export function fixedLength(length: number): LegoOperator<FramingChunk, Uint8Array>;
export function fixedLength(options: FixedLengthOptions): LegoOperator<FramingChunk, Uint8Array>;
export function fixedLength(lengthOrOptions: number | FixedLengthOptions): LegoOperator<FramingChunk, Uint8Array> {
  const options: FixedLengthOptions = typeof lengthOrOptions === "number" ? { length: lengthOrOptions } : lengthOrOptions;
  requireKnownOptions("fixedLength", requireObject("options", options), [...FRAMER_OPTIONS, "name"]);
  const { name: nameOption, onInvalid, ...framerOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const prototype = new FixedLengthFramer(framerOptions);
  const { meter, counted } = framerMeter("FixedLengthFramer", { name, group: prototype.group }, ["incomplete"] as const, callbackOption("onInvalid", onInvalid));
  return framingOperator(meter, () => new FixedLengthFramer({ ...framerOptions, onInvalid: counted }));
}
