import type { LegoOperator } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireKnownOptions,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requireObject,
  requireOneOf,
} from "../../atom/validate.js";
import { crc32Of } from "../crc32.js";
import { bytesOption, callbackOption, copyOf, framerMeter, framingOperator, toBuffer, viewOf, type FramingChunk, type InvalidFrame } from "./framer.js";

/**
 * Why a {@link LengthPrefixedFramer} dropped a frame: its length field is
 * over `maxLength` (`oversize`) or too small to hold the header and
 * checksum (`bad-length`), its checksum does not match (`bad-checksum`), or
 * the stream ended inside it (`incomplete`).
 */
export type LengthPrefixedInvalidReason = "oversize" | "bad-length" | "bad-checksum" | "incomplete";

/** Byte order of a multi-byte field. */
export type Endian = "le" | "be";

/**
 * A checksum at the end of each frame, checked before the frame is emitted:
 * `xor` is one byte (the XOR of the covered bytes, as {@link xorChecksum}),
 * `crc32` four bytes ({@link crc32}, IEEE). It covers the frame's bytes from
 * `from` up to the checksum itself.
 */
export interface FrameChecksum {
  /** Which checksum. */
  kind: "xor" | "crc32";
  /** Offset in the frame of the first byte covered. @default the length of `start` (everything after the start bytes) */
  from?: number;
  /** Byte order of a `crc32` field. @default the framer's `endian` */
  endian?: Endian;
}

/** Options of {@link LengthPrefixedFramer} (serialport's `PacketLengthParser` options, renamed). */
export interface LengthPrefixedFramerOptions {
  /**
   * The bytes every frame begins with, where the framer resynchronises after
   * garbage or a bad frame (serialport's `delimiter`), or a list of
   * alternative start sequences of one length (`[[0xaa], [0xbb]]`, as
   * serialport's `delimiter: [0xaa, 0xbb]`); `[]` for frames without start
   * bytes (then it resynchronises byte by byte). @default [0xaa]
   */
  start?: Uint8Array | readonly number[] | readonly (Uint8Array | readonly number[])[];
  /** Offset of the length field from the frame's first byte, at or after the start bytes. @default 1 */
  lengthOffset?: number;
  /** Size of the length field, 1 to 4 bytes. @default 1 */
  lengthBytes?: number;
  /** Byte order of the length field. @default "le" */
  endian?: Endian;
  /**
   * Bytes of a frame the length field does not count (start bytes, header,
   * the length field, a checksum…): a frame is `length + overhead` bytes
   * (serialport's `packetOverhead`). @default 2
   */
  overhead?: number;
  /** Largest length field accepted; a larger one is `oversize` (serialport's `maxLen`). @default 255 */
  maxLength?: number;
  /** A checksum at the end of each frame (counted in `overhead`). @default undefined (none) */
  checksum?: FrameChecksum;
  /**
   * Copy each frame into its own memory. Without it a frame wholly inside
   * one chunk is a view into that chunk. @default false
   */
  copy?: boolean;
  /** Called with every dropped frame. @default undefined */
  onInvalid?: (invalid: InvalidFrame<LengthPrefixedInvalidReason>) => void;
  /** Label linking the framer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link lengthPrefixed} operator. */
export interface LengthPrefixedOptions extends LengthPrefixedFramerOptions {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const FRAMER_OPTIONS = ["start", "lengthOffset", "lengthBytes", "endian", "overhead", "maxLength", "checksum", "copy", "onInvalid", "group"] as const;
const ENDIANS = ["le", "be"] as const;

/**
 * Reassembles length-prefixed frames from arbitrary chunks (the project's
 * `LengthPrefixedFramer` lego; serialport's `PacketLengthParser`): a frame
 * starts with the `start` bytes, carries a `lengthBytes`-byte length field
 * at `lengthOffset`, and is `length + overhead` bytes long; an optional
 * xor or CRC-32 checksum ends it. `append(chunk)` returns whole frames,
 * start bytes and checksum included.
 *
 * Bytes before a start sequence are skipped and counted (`skippedBytes`).
 * A frame whose length is over `maxLength` or too short, or whose checksum
 * does not match, is reported through `onInvalid` and the framer
 * resynchronises on the next start sequence after that frame's first byte,
 * so a start byte inside a bad frame's payload is tried too. It never holds
 * more than `maxLength + overhead` bytes.
 *
 * ## Example
 * ```ts
 * // [0xaa][len][payload…][xor of len and payload]
 * const frames = new LengthPrefixedFramer({ start: [0xaa], overhead: 3, checksum: { kind: "xor" } });
 * frames.append(new Uint8Array([0x00, 0xaa, 0x02, 0x10, 0x20])); // [] (0x00 skipped)
 * frames.append(new Uint8Array([0x32]));                         // [[0xaa, 0x02, 0x10, 0x20, 0x32]]
 * ```
 * @see {@link lengthPrefixed} the operator.
 * @lego LengthPrefixedFramer
 */
export class LengthPrefixedFramer {
  /** The start sequence, or each alternative one (all of one length; none for `[]`). */
  readonly starts: readonly Uint8Array[];
  readonly lengthOffset: number;
  readonly lengthBytes: number;
  readonly endian: Endian;
  readonly overhead: number;
  readonly maxLength: number;
  readonly checksum: Readonly<Required<FrameChecksum>> | undefined;
  readonly copy: boolean;
  group: string | undefined;
  /** Frames emitted so far. */
  frames = 0;
  /** Bytes skipped while looking for a start sequence (garbage, and the rest of bad frames). */
  skippedBytes = 0;
  /** Frames dropped, by reason. */
  readonly dropped: Record<LengthPrefixedInvalidReason, number> = { oversize: 0, "bad-length": 0, "bad-checksum": 0, incomplete: 0 };

  private readonly startBufs: readonly Buffer[];
  /** Length of the start sequence(s). */
  private readonly startLength: number;
  /** The start byte when there is one start sequence of one byte (the fast search), else -1. */
  private readonly startByte: number;
  /** Per alternative start sequence: where it next occurs in `cachedIn` (-1: nowhere). */
  private readonly nextStart: number[];
  private cachedIn: Buffer | undefined;
  private readonly header: number;
  private readonly checksumBytes: number;
  private readonly onInvalid: ((invalid: InvalidFrame<LengthPrefixedInvalidReason>) => void) | undefined;
  /** Bytes from the frame in progress on (or the tail where a start sequence may begin). */
  private pending: Buffer = Buffer.alloc(0);

  constructor(options: LengthPrefixedFramerOptions = {}) {
    requireKnownOptions("LengthPrefixedFramer", requireObject("options", options), FRAMER_OPTIONS);
    this.startBufs = startOption(options.start);
    this.starts = this.startBufs.map((start) => new Uint8Array(start));
    this.startLength = this.startBufs[0]?.length ?? 0;
    this.startByte = this.startBufs.length === 1 && this.startLength === 1 ? ((this.startBufs[0] as Buffer)[0] as number) : -1;
    this.nextStart = this.startBufs.map(() => -1);
    this.lengthOffset = requireNonNegativeInteger("lengthOffset", options.lengthOffset ?? 1);
    if (this.lengthOffset < this.startLength) {
      throw new RangeError(`lengthOffset must be at or after the start bytes (>= ${this.startLength}), got ${this.lengthOffset}`);
    }
    this.lengthBytes = requireNonNegativeInteger("lengthBytes", options.lengthBytes ?? 1);
    if (this.lengthBytes < 1 || this.lengthBytes > 4) throw new RangeError(`lengthBytes must be 1 to 4, got ${this.lengthBytes}`);
    this.endian = requireOneOf("endian", options.endian ?? "le", ENDIANS);
    this.overhead = requireNonNegativeInteger("overhead", options.overhead ?? 2);
    this.maxLength = requireNonNegativeInteger("maxLength", options.maxLength ?? 0xff);
    if (this.maxLength > 2 ** (8 * this.lengthBytes) - 1) {
      throw new RangeError(`maxLength must fit in lengthBytes (${this.lengthBytes}), got ${this.maxLength}`);
    }
    this.checksum = optional("checksum", options.checksum, (name, value) => {
      const checksum = requireObject(name, value);
      requireKnownOptions(name, checksum, ["kind", "from", "endian"]);
      return Object.freeze({
        kind: requireOneOf(`${name}.kind`, checksum.kind, ["xor", "crc32"] as const),
        from: requireNonNegativeInteger(`${name}.from`, checksum.from ?? this.startLength),
        endian: requireOneOf(`${name}.endian`, checksum.endian ?? this.endian, ENDIANS),
      });
    });
    this.checksumBytes = this.checksum === undefined ? 0 : this.checksum.kind === "xor" ? 1 : 4;
    this.copy = requireBoolean("copy", options.copy ?? false);
    this.onInvalid = callbackOption("onInvalid", options.onInvalid);
    this.group = optionalGroup(options.group);
    this.header = this.lengthOffset + this.lengthBytes;
  }

  /** The longest frame accepted: `maxLength + overhead`. */
  get maxFrameBytes(): number {
    return this.maxLength + this.overhead;
  }

  /** Bytes held for the frame in progress. */
  get bufferSize(): number {
    return this.pending.length;
  }

  /** Adds a chunk and returns the frames it completed. */
  append(chunk: FramingChunk): Uint8Array[] {
    const frames: Uint8Array[] = [];
    this.feed(chunk, (frame) => frames.push(frame));
    return frames;
  }

  /** Adds a chunk and hands each valid frame to `emit` as soon as it is complete. */
  feed(chunk: FramingChunk, emit: (frame: Uint8Array) => void): void {
    const incoming = toBuffer(chunk);
    const held = this.pending.length;
    // Frames that straddle chunks come out of this fresh buffer, never reused, so views stay valid.
    const buf = held === 0 ? incoming : Buffer.concat([this.pending, incoming], held + incoming.length);
    // Only a frame inside the caller's chunk needs copying for `copy`.
    const copied = held === 0 && this.copy;
    const s = this.startLength;
    const end = buf.length;
    let pos = 0;
    for (;;) {
      if (s > 0) {
        const at = this.findStart(buf, pos);
        if (at === -1) {
          // Keep what could be the beginning of a start sequence.
          const keep = Math.min(end - pos, s - 1);
          this.skippedBytes += end - pos - keep;
          this.pending = keep === 0 ? EMPTY : Buffer.from(buf.subarray(end - keep));
          return;
        }
        this.skippedBytes += at - pos;
        pos = at;
      }
      if (end - pos < this.header) break;
      const length = this.endian === "le" ? buf.readUIntLE(pos + this.lengthOffset, this.lengthBytes) : buf.readUIntBE(pos + this.lengthOffset, this.lengthBytes);
      const total = length + this.overhead;
      if (length > this.maxLength) {
        pos = this.drop("oversize", buf, pos, pos + this.header);
        continue;
      }
      if (total < this.header + this.checksumBytes || (this.checksum !== undefined && this.checksum.from > total - this.checksumBytes)) {
        pos = this.drop("bad-length", buf, pos, pos + this.header);
        continue;
      }
      if (end - pos < total) break;
      if (this.checksum !== undefined && !this.checksumMatches(buf, pos, pos + total)) {
        pos = this.drop("bad-checksum", buf, pos, pos + total);
        continue;
      }
      this.frames++;
      emit(copied ? copyOf(buf, pos, pos + total) : viewOf(buf, pos, pos + total));
      pos += total;
    }
    this.pending = pos === end ? EMPTY : held > 0 && pos === 0 ? buf : Buffer.from(buf.subarray(pos));
  }

  /** Ends the stream: a frame in progress is reported as `incomplete`; the framer is then empty. */
  end(): void {
    const held = this.pending;
    this.pending = EMPTY;
    // Less than a start sequence is not a frame yet.
    if (held.length === 0 || held.length < this.startLength) {
      this.skippedBytes += held.length;
      return;
    }
    this.report("incomplete", new Uint8Array(held));
  }

  /** Drops the frame in progress without reporting it. */
  clear(): void {
    this.pending = EMPTY;
  }

  /** Where the next start sequence (any alternative) begins in `buf` at or after `pos`, or -1. */
  private findStart(buf: Buffer, pos: number): number {
    if (this.startByte !== -1) return buf.indexOf(this.startByte, pos);
    const starts = this.startBufs;
    if (starts.length === 1) return buf.indexOf(starts[0] as Buffer, pos);
    // Several alternatives: remember where each next occurs, so a rare one is not searched for again per frame.
    const next = this.nextStart;
    if (this.cachedIn !== buf) {
      this.cachedIn = buf;
      next.fill(-2);
    }
    let first = -1;
    for (let k = 0; k < starts.length; k++) {
      let at = next[k] as number;
      if (at === -2 || (at !== -1 && at < pos)) next[k] = at = buf.indexOf(starts[k] as Buffer, pos);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    return first;
  }

  private checksumMatches(buf: Buffer, start: number, end: number): boolean {
    const checksum = this.checksum as Required<FrameChecksum>;
    const from = start + checksum.from;
    if (checksum.kind === "xor") {
      let sum = 0;
      for (let i = from; i < end - 1; i++) sum ^= buf[i] as number;
      return sum === buf[end - 1];
    }
    const expected = checksum.endian === "le" ? buf.readUInt32LE(end - 4) : buf.readUInt32BE(end - 4);
    return crc32Of(buf, from, end - 4) === expected;
  }

  /** Reports a bad frame (its bytes `buf[start, end)`) and returns where the search for the next start sequence begins. */
  private drop(reason: LengthPrefixedInvalidReason, buf: Buffer, start: number, end: number): number {
    this.report(reason, copyOf(buf, start, end));
    this.skippedBytes += 1;
    return start + 1;
  }

  private report(reason: LengthPrefixedInvalidReason, bytes: Uint8Array): void {
    this.dropped[reason]++;
    this.onInvalid?.(Object.freeze({ reason, bytes }));
  }
}

const EMPTY = Buffer.alloc(0);

function startOption(value: unknown): Buffer[] {
  if (value === undefined) return [Buffer.from([0xaa])];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Uint8Array || Array.isArray(v))) {
    const starts = value.map((v, i) => bytesOption(`start[${i}]`, v));
    if (starts.some((start) => start.length !== (starts[0] as Buffer).length)) throw new RangeError("start alternatives must all have the same length");
    return starts;
  }
  const start = bytesOption("start", value, true);
  return start.length === 0 ? [] : [start];
}

/**
 * Splits a byte stream into length-prefixed frames — the
 * `LengthPrefixedFramer` lego as an operator (serialport's
 * `PacketLengthParser`: `delimiter` → `start`, `packetOverhead` →
 * `overhead`, `maxLen` → `maxLength`, plus `endian` and `checksum`). Each
 * frame is emitted whole (start bytes, header, payload, checksum).
 *
 * Bad data never errors the stream: garbage between frames is skipped and
 * counted; a frame with a length over `maxLength` (`oversize`), a length too
 * small for its header (`bad-length`) or a wrong checksum (`bad-checksum`)
 * is reported through `onInvalid` and the framer resynchronises on the next
 * start bytes; a frame cut off by completion is reported as `incomplete`.
 *
 * ```text
 * source:  --a-----b--|    a = [00 aa 02 10], b = [20 aa 01 30]
 *          lengthPrefixed({ start: [0xaa] })
 * result:  --------x--|    x = [aa 02 10 20]; [aa 01 30] reported as incomplete
 * ```
 *
 * ## Example
 * ```ts
 * port.pipe(
 *   lengthPrefixed({ start: [0x55, 0xaa], lengthOffset: 2, lengthBytes: 2, endian: "be", overhead: 8, maxLength: 1024,
 *     checksum: { kind: "crc32" }, onInvalid: (bad) => log(bad.reason) }),
 * ).subscribe((frame) => handle(frame));
 * ```
 * Counters on `lego`: `messages`, `invalid`, `oversize`, `badLength`, `badChecksum`, `incomplete`, `skippedBytes`.
 * @see {@link LengthPrefixedFramer} the state machine (one per subscription).
 * @see {@link crc32} and {@link xorChecksum}, the checksums it checks.
 * @lego LengthPrefixedFramer
 */
export function lengthPrefixed(options: LengthPrefixedOptions = {}): LegoOperator<FramingChunk, Uint8Array> {
  requireKnownOptions("lengthPrefixed", requireObject("options", options), [...FRAMER_OPTIONS, "name"]);
  const { name: nameOption, onInvalid, ...framerOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const prototype = new LengthPrefixedFramer(framerOptions);
  const reasons = ["oversize", "bad-length", "bad-checksum", "incomplete"] as const;
  const { meter, counted } = framerMeter("LengthPrefixedFramer", { name, group: prototype.group }, reasons, callbackOption("onInvalid", onInvalid), ["skippedBytes"]);
  return framingOperator(meter, () => {
    const framer = new LengthPrefixedFramer({ ...framerOptions, onInvalid: counted });
    const track = (run: () => void): void => {
      const before = framer.skippedBytes;
      try {
        run();
      } finally {
        meter.count("skippedBytes", framer.skippedBytes - before);
      }
    };
    return {
      feed: (chunk, emit) => {
        track(() => {
          framer.feed(chunk, emit);
        });
      },
      end: () => {
        track(() => {
          framer.end();
        });
      },
      get frames() {
        return framer.frames;
      },
    };
  });
}
