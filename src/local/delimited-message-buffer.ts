import { isUtf8 } from "node:buffer";
import { isObservable, Observable } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requireKnownOptions,
  requirePositiveInteger,
} from "../atom/validate.js";
import { subscribeWithin } from "./subscribe-within.js";

/** Whether messages come out as bytes or as decoded UTF-8 text. */
export type DelimitedMode = "bytes" | "text";

/** What a message is in each mode. */
export type DelimitedMessage<M extends DelimitedMode> = M extends "text" ? string : Uint8Array;

/** What a {@link DelimitedMessageBuffer} accepts: bytes, or text (turned into bytes with the buffer's `encoding`). */
export type DelimitedChunk = Uint8Array | string;

/**
 * How text turns into bytes and back (Node's names): text mode decodes
 * messages with it, a string delimiter and string chunks are encoded with it.
 * Only `utf8` can be invalid (reported as `invalid-utf8`); the others decode
 * any bytes.
 */
export type DelimitedEncoding = "utf8" | "utf-8" | "ascii" | "latin1" | "binary" | "hex" | "base64" | "base64url";

const ENCODINGS: readonly DelimitedEncoding[] = ["utf8", "utf-8", "ascii", "latin1", "binary", "hex", "base64", "base64url"];

/** Why a message was not emitted. */
export type DelimitedInvalidReason = "oversize" | "invalid-utf8" | "incomplete";

/** A message that was dropped: why, and its bytes without the delimiter (for `oversize`, the first `maxMessageBytes`). */
export interface InvalidMessage {
  readonly reason: DelimitedInvalidReason;
  readonly bytes: Uint8Array;
}

/** Options of {@link DelimitedMessageBuffer}. */
export interface DelimitedMessageBufferOptions<M extends DelimitedMode = "bytes"> {
  /**
   * What ends a message: a non-empty string (encoded with `encoding`), byte
   * sequence, or array of byte numbers (`[13, 10]`, as serialport takes it). @default "\n"
   */
  delimiter?: string | Uint8Array | readonly number[];
  /** Keep the delimiter at the end of each message (it still does not count toward `maxMessageBytes`). @default false */
  includeDelimiter?: boolean;
  /**
   * The text encoding: text mode decodes messages with it; a string
   * delimiter and string chunks are encoded with it (serialport's `encoding`). @default "utf8"
   */
  encoding?: DelimitedEncoding;
  /** `"bytes"` emits `Uint8Array`s, `"text"` emits strings decoded from UTF-8. @default "bytes" */
  mode?: M;
  /** Longest message kept, in bytes, not counting the delimiter (a positive integer). @default 65536 */
  maxMessageBytes?: number;
  /**
   * In bytes mode, copy each message into its own memory. Without it a
   * message may be a view into the chunk it came in (faster; the chunk
   * must not be changed afterwards, and a kept message keeps its chunk
   * alive). @default false
   */
  copy?: boolean;
  /** Called with every dropped message (`oversize`, `invalid-utf8`, `incomplete`). @default undefined */
  onInvalid?: (invalid: InvalidMessage) => void;
  /** Label linking the buffer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link delimited} operator. */
export interface DelimitedOptions<M extends DelimitedMode = "bytes"> extends DelimitedMessageBufferOptions<M> {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /**
   * Each emission resets the buffer ({@link DelimitedMessageBuffer.reset}):
   * a message in progress is reported as `incomplete` instead of being
   * joined to the bytes that follow — e.g. a serial port's reopen, so a line
   * cut by an unplug is not glued to the first bytes after it
   * (`reset$: port.events$.pipe(filter((e) => e.type === "open"))`).
   * @default undefined
   */
  reset$?: Observable<unknown>;
}

/** Every option {@link DelimitedMessageBuffer} knows (anything else is a TypeError). */
const BUFFER_OPTIONS = ["delimiter", "mode", "maxMessageBytes", "copy", "includeDelimiter", "encoding", "onInvalid", "group"] as const;
/** Every option {@link delimited} knows. */
const OPERATOR_OPTIONS = [...BUFFER_OPTIONS, "name", "reset$"] as const;

const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
const NEWLINE = 0x0a;
const MIN_PENDING_CAPACITY = 256;

/** A Buffer view of a chunk (no copy for bytes, `encoding` for text). */
function toBuffer(chunk: unknown, encoding: BufferEncoding): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, encoding);
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`chunk must be a Uint8Array or a string, got ${chunk === null ? "null" : typeof chunk}`);
}

function callbackOption<F extends (...args: never[]) => unknown>(name: string, value: F | undefined): F | undefined {
  return value === undefined ? undefined : requireFunction(name, value);
}

function delimiterOption(value: unknown, encoding: BufferEncoding): Buffer {
  if (value === undefined) return Buffer.from([NEWLINE]);
  let bytes: Buffer;
  if (typeof value === "string") bytes = Buffer.from(requireNonEmptyString("delimiter", value), encoding);
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else if (Array.isArray(value)) bytes = Buffer.from(value.map((byte: unknown, i) => octet(`delimiter[${i}]`, byte)));
  else throw new TypeError("delimiter must be a string, a Uint8Array or an array of byte numbers");
  if (bytes.length === 0) throw new RangeError("delimiter must not be empty");
  return bytes;
}

function octet(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${value === null ? "null" : typeof value}`);
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`${name} must be an octet (an integer 0-255), got ${value}`);
  return value;
}

/**
 * Reassembles delimited messages from arbitrary chunks (the catalog's
 * `DelimitedMessageBuffer`): `append(chunk)` returns the messages the chunk
 * completed, without their delimiters (with them under `includeDelimiter`);
 * empty messages are kept. A delimiter or a UTF-8 character may be split
 * across chunks. Text mode decodes with `encoding` (UTF-8 by default).
 *
 * Bad data is dropped, counted and reported to `onInvalid`, never thrown:
 * a message longer than `maxMessageBytes` is dropped up to its next
 * delimiter (`oversize`, as soon as it is certain, so memory stays bounded
 * by `maxMessageBytes` plus the delimiter); in text mode a message that is
 * not UTF-8 is `invalid-utf8`; `end()` reports a trailing partial message
 * (`incomplete`, or `oversize` when already over the limit).
 *
 * ## Example
 * ```ts
 * const lines = new DelimitedMessageBuffer({ mode: "text" });
 * lines.append("temp=2");        // []
 * lines.append("1\nhum=40\n");   // ["temp=21", "hum=40"]
 * ```
 * @see {@link delimited} the operator.
 * @lego DelimitedMessageBuffer
 */
export class DelimitedMessageBuffer<M extends DelimitedMode = "bytes"> {
  readonly mode: M;
  readonly maxMessageBytes: number;
  readonly copy: boolean;
  readonly includeDelimiter: boolean;
  readonly encoding: DelimitedEncoding;
  group: string | undefined;
  /** Messages returned so far. */
  messages = 0;
  /** Messages dropped for being longer than `maxMessageBytes`. */
  oversize = 0;
  /** Text-mode messages dropped for not being UTF-8. */
  invalidUtf8 = 0;
  /** Trailing partial messages reported by `end()`. */
  incomplete = 0;

  private readonly delim: Buffer;
  /** The delimiter byte when it is one byte (the fast search), else -1. */
  private readonly delimByte: number;
  /** Whether a run of valid UTF-8 containing the delimiter splits into valid UTF-8 messages. */
  private readonly delimIsUtf8: boolean;
  private readonly onInvalid: ((invalid: InvalidMessage) => void) | undefined;
  private readonly text: boolean;
  /** Text mode with UTF-8: messages are checked, not just decoded. */
  private readonly utf8: boolean;
  private readonly bufferEncoding: BufferEncoding;
  /** Delimiter bytes kept at the end of each emitted message (0 or the delimiter's length). */
  private readonly kept: number;
  /** Bytes of the message in progress (or, while discarding, the last delimiter-length − 1 bytes). */
  private pending: Buffer = Buffer.alloc(0);
  private pendingLength = 0;
  /** True while dropping the rest of an oversize message. */
  private discarding = false;

  constructor(options: DelimitedMessageBufferOptions<M> = {}) {
    requireKnownOptions("DelimitedMessageBuffer", requireObject("options", options), BUFFER_OPTIONS);
    this.encoding = requireOneOf("encoding", options.encoding ?? "utf8", ENCODINGS);
    this.bufferEncoding = this.encoding;
    this.delim = delimiterOption(options.delimiter, this.bufferEncoding);
    this.includeDelimiter = requireBoolean("includeDelimiter", options.includeDelimiter ?? false);
    this.kept = this.includeDelimiter ? this.delim.length : 0;
    this.mode = requireOneOf("mode", options.mode ?? "bytes", ["bytes", "text"] as const) as M;
    this.maxMessageBytes = requirePositiveInteger("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.copy = requireBoolean("copy", options.copy ?? false);
    this.onInvalid = callbackOption("onInvalid", options.onInvalid);
    this.group = optionalGroup(options.group);
    this.delimByte = this.delim.length === 1 ? (this.delim[0] as number) : -1;
    this.delimIsUtf8 = isUtf8(this.delim);
    this.text = this.mode === "text";
    this.utf8 = this.text && (this.encoding === "utf8" || this.encoding === "utf-8");
  }

  /** The delimiter's bytes (a copy). */
  get delimiter(): Uint8Array {
    return new Uint8Array(this.delim);
  }

  /** Bytes held for the message in progress; 0 while an oversize message is being discarded. */
  get bufferSize(): number {
    return this.discarding ? 0 : this.pendingLength;
  }

  /** Adds a chunk and returns the messages it completed, in order. */
  append(chunk: DelimitedChunk): DelimitedMessage<M>[] {
    const messages: DelimitedMessage<M>[] = [];
    this.feed(chunk, (message) => messages.push(message));
    return messages;
  }

  /**
   * Adds a chunk and hands each completed message to `emit` as soon as it
   * is found — `append` without the array, and with messages and
   * `onInvalid` reports interleaved in stream order.
   */
  feed(chunk: DelimitedChunk, emit: (message: DelimitedMessage<M>) => void): void {
    const buf = toBuffer(chunk, this.bufferEncoding);
    const d = this.delim.length;
    let pos = 0;
    let continuing = this.pendingLength > 0 || this.discarding;

    if (continuing && d > 1 && this.pendingLength > 0) {
      const after = this.straddlingDelimiter(buf);
      if (after !== -1) {
        this.completePending(buf, 0, 0, emit);
        pos = after;
        continuing = false;
      }
    }
    if (continuing) {
      const end = this.indexOf(buf, 0);
      if (end === -1) {
        this.keep(buf, 0, buf.length);
        return;
      }
      this.completePending(buf, 0, end, emit);
      pos = end + d;
    }

    // One loop per mode keeps each hot loop monomorphic.
    pos = this.text ? this.scanText(buf, pos, emit) : this.scanBytes(buf, pos, emit);
    if (pos < buf.length) this.keep(buf, pos, buf.length);
  }

  /**
   * Ends the stream: a trailing partial message is reported (`oversize`
   * when already over the limit, else `incomplete`), then the buffer is
   * empty.
   */
  end(): void {
    if (!this.discarding && this.pendingLength > 0) {
      const oversize = this.pendingLength > this.maxMessageBytes;
      this.report(oversize ? "oversize" : "incomplete", copyOf(this.pending, 0, Math.min(this.pendingLength, this.maxMessageBytes)));
    }
    this.clear();
  }

  /**
   * Starts afresh mid-stream (the byte stream was cut, e.g. the device was
   * unplugged and the port reopened): a partial message is reported as
   * {@link end} does (`incomplete`, or `oversize` when already over the
   * limit), so it is never joined to the bytes that come next.
   */
  reset(): void {
    this.end();
  }

  /** Drops the message in progress without reporting it. */
  clear(): void {
    this.pendingLength = 0;
    this.discarding = false;
  }

  private indexOf(buf: Buffer, from: number): number {
    return this.delimByte === -1 ? buf.indexOf(this.delim, from) : buf.indexOf(this.delimByte, from);
  }

  private lastIndexOf(buf: Buffer, from: number): number {
    const at = this.delimByte === -1 ? buf.lastIndexOf(this.delim) : buf.lastIndexOf(this.delimByte);
    return at >= from ? at : -1;
  }

  /**
   * Looks for a delimiter that starts in the pending bytes and ends in
   * `buf`. When there is one, the pending bytes are cut where it starts and
   * the offset in `buf` just after it is returned; else -1.
   */
  private straddlingDelimiter(buf: Buffer): number {
    const d = this.delim.length;
    const held = this.pendingLength;
    const borrowed = Math.min(d - 1, buf.length);
    this.reserve(held + borrowed);
    buf.copy(this.pending, held, 0, borrowed);
    const at = this.pending.subarray(0, held + borrowed).indexOf(this.delim, Math.max(0, held - (d - 1)));
    // A match that starts in `buf` is found by the normal search.
    if (at === -1 || at >= held) return -1;
    this.pendingLength = at;
    return at + d - held;
  }

  /** Finishes the message made of the pending bytes plus `buf[start, end)`. */
  private completePending(buf: Buffer, start: number, end: number, emit: (message: DelimitedMessage<M>) => void): void {
    if (this.discarding) {
      this.clear();
      return;
    }
    const held = this.pendingLength;
    this.pendingLength = 0;
    if (held + (end - start) > this.maxMessageBytes) {
      this.report("oversize", this.joined(buf, start, end, held, this.maxMessageBytes));
      return;
    }
    this.emitOwned(this.joined(buf, start, end, held, Infinity, this.kept), emit);
  }

  /**
   * A new Buffer with at most `limit` bytes of: the first `held` pending
   * bytes, then `buf[start, end)`; then the first `delimiterBytes` bytes of
   * the delimiter.
   */
  private joined(buf: Buffer, start: number, end: number, held: number, limit: number, delimiterBytes = 0): Buffer {
    const fromPending = Math.min(held, limit);
    const fromBuf = Math.min(end - start, limit - fromPending);
    const out = Buffer.allocUnsafeSlow(fromPending + fromBuf + delimiterBytes);
    this.pending.copy(out, 0, 0, fromPending);
    buf.copy(out, fromPending, start, start + fromBuf);
    if (delimiterBytes > 0) this.delim.copy(out, fromPending + fromBuf, 0, delimiterBytes);
    return out;
  }

  /** Emits a message that already has its own memory. */
  private emitOwned(message: Buffer, emit: (message: DelimitedMessage<M>) => void): void {
    if (!this.text) {
      this.messages++;
      emit(new Uint8Array(message.buffer, message.byteOffset, message.length) as DelimitedMessage<M>);
    } else if (!this.utf8 || isUtf8(message)) {
      this.messages++;
      emit(message.toString(this.bufferEncoding) as DelimitedMessage<M>);
    } else {
      this.report("invalid-utf8", message.subarray(0, message.length - this.kept));
    }
  }

  /** Emits every message wholly inside `buf` from `pos` on; returns where the unfinished rest begins. */
  private scanBytes(buf: Buffer, pos: number, emit: (message: DelimitedMessage<M>) => void): number {
    const d = this.delim.length;
    const max = this.maxMessageBytes;
    for (let end = this.indexOf(buf, pos); end !== -1; end = this.indexOf(buf, pos)) {
      if (end - pos > max) {
        this.report("oversize", copyOf(buf, pos, pos + max));
      } else {
        this.messages++;
        // A view is a third of the cost of a copy (see bench/framing.bench.ts).
        const stop = end + this.kept;
        emit((this.copy ? copyOf(buf, pos, stop) : new Uint8Array(buf.buffer, buf.byteOffset + pos, stop - pos)) as DelimitedMessage<M>);
      }
      pos = end + d;
    }
    return pos;
  }

  /** {@link scanBytes} for text: each message decoded with `encoding`, or reported when it is not valid UTF-8. */
  private scanText(buf: Buffer, pos: number, emit: (message: DelimitedMessage<M>) => void): number {
    const last = this.lastIndexOf(buf, pos);
    if (last === -1) return pos;
    const d = this.delim.length;
    const max = this.maxMessageBytes;
    // One UTF-8 check for every message up to the last delimiter instead of one per message:
    // valid UTF-8 split at a valid-UTF-8 delimiter gives valid UTF-8 pieces.
    // Other encodings decode any bytes.
    const checked = !this.utf8 || (this.delimIsUtf8 && isUtf8(buf.subarray(pos, last)));
    const encoding = this.bufferEncoding;
    const kept = this.kept;
    for (let end = this.indexOf(buf, pos); end !== -1; end = this.indexOf(buf, pos)) {
      if (end - pos > max) {
        this.report("oversize", copyOf(buf, pos, pos + max));
      } else if (checked || isUtf8(buf.subarray(pos, end + kept))) {
        this.messages++;
        emit(buf.toString(encoding, pos, end + kept) as DelimitedMessage<M>);
      } else {
        this.report("invalid-utf8", copyOf(buf, pos, end));
      }
      pos = end + d;
    }
    return pos;
  }

  /** Holds `buf[start, end)` for the message in progress (or, while discarding, only what a split delimiter needs). */
  private keep(buf: Buffer, start: number, end: number): void {
    const total = this.pendingLength + (end - start);
    if (!this.discarding && total > this.maxMessageBytes + this.delim.length - 1) {
      // No delimiter can end this message within the limit any more.
      this.report("oversize", this.joined(buf, start, end, this.pendingLength, this.maxMessageBytes));
      this.discarding = true;
    }
    if (this.discarding) {
      this.keepTail(buf, start, end);
      return;
    }
    this.reserve(total);
    buf.copy(this.pending, this.pendingLength, start, end);
    this.pendingLength = total;
  }

  /** While discarding, keeps the last delimiter-length − 1 bytes seen, where a delimiter may begin. */
  private keepTail(buf: Buffer, start: number, end: number): void {
    const tail = this.delim.length - 1;
    const incoming = end - start;
    if (incoming >= tail) {
      this.reserve(tail);
      buf.copy(this.pending, 0, end - tail, end);
      this.pendingLength = tail;
      return;
    }
    const fromPending = Math.min(this.pendingLength, tail - incoming);
    this.pending.copy(this.pending, 0, this.pendingLength - fromPending, this.pendingLength);
    this.reserve(fromPending + incoming);
    buf.copy(this.pending, fromPending, start, end);
    this.pendingLength = fromPending + incoming;
  }

  private reserve(size: number): void {
    if (size <= this.pending.length) return;
    const capacity = Math.max(MIN_PENDING_CAPACITY, this.pending.length * 2, size);
    const grown = Buffer.allocUnsafeSlow(capacity);
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }

  /** Counts a dropped message and reports it; `bytes` must be the caller's own copy. */
  private report(reason: DelimitedInvalidReason, bytes: Uint8Array): void {
    if (reason === "oversize") this.oversize++;
    else if (reason === "invalid-utf8") this.invalidUtf8++;
    else this.incomplete++;
    this.onInvalid?.(Object.freeze({ reason, bytes: bytes instanceof Buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes }));
  }
}

/** A copy of `buf[start, end)` in its own memory, as a plain Uint8Array. */
function copyOf(buf: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.subarray(start, end));
}

/**
 * Splits a stream of byte (or text) chunks into delimited messages — the
 * `DelimitedMessageBuffer` lego as an operator. Chunk boundaries may fall
 * anywhere: inside a message, a multi-byte delimiter or a UTF-8 character.
 * Messages exclude the delimiter unless `includeDelimiter` is set; empty
 * messages are emitted. serialport's `DelimiterParser`/`ReadlineParser`
 * options map directly (`delimiter` as a string, bytes or `number[]`,
 * `includeDelimiter`, `encoding` with `mode: "text"`); an option it does not
 * know is a `TypeError`.
 *
 * Bad data never errors the stream: oversize messages, invalid UTF-8 (text
 * mode) and a trailing partial message at completion are dropped, counted
 * and passed to `onInvalid({ reason, bytes })`. A source error is passed on
 * (the partial message is dropped without a report).
 *
 * ```text
 * source:  --"ab\ncd"--"\n\nef"--|
 *          delimited({ mode: "text" })
 * result:  --"ab"------("cd" "")-|     ("ef" reported as incomplete)
 * ```
 *
 * ## Example
 * ```ts
 * port.data$.pipe(
 *   delimited({ mode: "text", delimiter: "\r\n", maxMessageBytes: 1024, onInvalid: (bad) => log(bad.reason) }),
 * ).subscribe((line) => console.log(line));
 * ```
 * Counters on `lego`: `messages`, `invalid`, `oversize`, `invalidUtf8`, `incomplete`.
 * @see {@link DelimitedMessageBuffer} the state machine (one per subscription).
 * @see {@link decodeJsonEvents} which reads the messages as JSON events.
 * @lego DelimitedMessageBuffer
 */
export function delimited(options: DelimitedOptions<"text"> & { mode: "text" }): LegoOperator<DelimitedChunk, string>;
export function delimited(options?: DelimitedOptions): LegoOperator<DelimitedChunk, Uint8Array>;
export function delimited<M extends DelimitedMode>(options?: DelimitedOptions<M>): LegoOperator<DelimitedChunk, DelimitedMessage<M>>;
export function delimited<M extends DelimitedMode>(options: DelimitedOptions<M> = {}): LegoOperator<DelimitedChunk, DelimitedMessage<M>> {
  requireKnownOptions("delimited", requireObject("options", options), OPERATOR_OPTIONS);
  const { name: nameOption, reset$, ...bufferOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const onInvalid = callbackOption("onInvalid", options.onInvalid);
  if (reset$ !== undefined && !isObservable(reset$)) throw new TypeError("reset$ must be an Observable");
  // Validates every option now, not at subscribe.
  const prototype = new DelimitedMessageBuffer<M>(bufferOptions);
  const meter = legoMeter("DelimitedMessageBuffer", { name, group: prototype.group }, [
    "messages",
    "invalid",
    "oversize",
    "invalidUtf8",
    "incomplete",
  ]);
  const counted = (invalid: InvalidMessage): void => {
    meter.count("invalid");
    meter.count(invalid.reason === "invalid-utf8" ? "invalidUtf8" : invalid.reason);
    onInvalid?.(invalid);
  };

  const operator = (source: Observable<DelimitedChunk>): Observable<DelimitedMessage<M>> =>
    new Observable<DelimitedMessage<M>>((subscriber) => {
      const buffer = new DelimitedMessageBuffer<M>({ ...bufferOptions, onInvalid: counted });
      const emit = (message: DelimitedMessage<M>): void => {
        subscriber.next(message);
      };
      // Subscribed before the source, so a reset the source's own subscription triggers is seen.
      if (reset$ !== undefined) {
        subscribeWithin(subscriber, reset$, {
          next: () => {
            buffer.reset();
          },
          error: (error: unknown) => {
            subscriber.error(error);
          },
        });
      }
      subscribeWithin(subscriber, source, {
        next: (chunk) => {
          const before = buffer.messages;
          try {
            buffer.feed(chunk, emit);
          } catch (error) {
            subscriber.error(error);
          } finally {
            meter.count("messages", buffer.messages - before);
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          try {
            buffer.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.complete();
        },
      });
    });

  return withLego(operator, meter.descriptor);
}
